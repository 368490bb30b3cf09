// Jest snapshot serializer: masks 64-hex asset hashes (S3 keys, asset paths, image tags) in every
// string, so snapshots change only when the template changes, not when the bundled code does.
const HASH = /[0-9a-f]{64}/g;
const MASK = '[ASSET-HASH]';

module.exports = {
  test(value) {
    return typeof value === 'string' && /[0-9a-f]{64}/.test(value);
  },
  serialize(value, config, indentation, depth, refs, printer) {
    return printer(value.replace(HASH, MASK), config, indentation, depth, refs);
  },
};
