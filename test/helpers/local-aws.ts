// The local AWS endpoint and the Lambda event shapes are product code of the local run
// (bin/local); tests use the same ones.
export * from '../../bin/local/local-aws';
export * from '../../bin/local/lambda-events';
