import { TracedTopicOptions } from '../traced-topic-options';
import { mergeDefined } from '../../core/merge';

/** Topic options with every value decided (`masterKey` stays optional: the managed key by default). */
export type ResolvedTopicOptions = Required<Omit<TracedTopicOptions, 'masterKey'>> &
  Pick<TracedTopicOptions, 'masterKey'>;

/** The alias of the AWS managed key of SNS. */
export const SNS_MANAGED_KEY_ALIAS = 'alias/aws/sns';

/** The library defaults of a traced topic: encrypted with the SNS managed key, TLS only. */
export function defaultTopicOptions(): ResolvedTopicOptions {
  return { encrypted: true, enforceSSL: true };
}

/** The one place topic options are merged: library defaults, then the user's options. */
export function resolveTopicOptions(props: TracedTopicOptions): ResolvedTopicOptions {
  return mergeDefined(defaultTopicOptions(), {
    encrypted: props.encrypted,
    masterKey: props.masterKey,
    enforceSSL: props.enforceSSL,
  });
}
