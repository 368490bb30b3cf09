import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResolvedTopicOptions } from './topic-defaults';
import { TracingWarning, warning } from '../../core/errors';

/** Every invalid prop of a traced topic, each message naming the prop and the fix. */
export function tracedTopicErrors(options: ResolvedTopicOptions): string[] {
  const errors: string[] = [];
  if (options.masterKey !== undefined && options.encrypted === false) {
    errors.push(
      'masterKey is given but encrypted is false: remove masterKey, or remove encrypted to encrypt with it',
    );
  }
  return errors;
}

/** Warnings for the safe defaults a user overrode. */
export function tracedTopicWarnings(options: ResolvedTopicOptions): TracingWarning[] {
  const warnings: TracingWarning[] = [];
  if (options.encrypted === false) {
    warnings.push(
      warning(
        'topicUnencrypted',
        'encrypted is false: messages are stored in plain text; remove encrypted to use the AWS managed key alias/aws/sns',
      ),
    );
  }
  if (options.enforceSSL === false) {
    warnings.push(
      warning(
        'topicSslNotEnforced',
        'enforceSSL is false: the topic accepts requests without TLS; remove enforceSSL to deny them',
      ),
    );
  }
  return warnings;
}

/** What the validation of an SNS→SQS subscription needs. */
export interface QueueSubscriptionFacts {
  readonly topicFifo: boolean;
  readonly queuePath: string;
  readonly queueFifo: boolean;
  readonly queueEncryption?: sqs.QueueEncryption;
}

/** The problems with subscribing a queue to a topic. */
export function queueSubscriptionErrors(facts: QueueSubscriptionFacts): string[] {
  const errors: string[] = [];
  if (facts.queueEncryption === sqs.QueueEncryption.KMS_MANAGED) {
    errors.push(
      `queue ${facts.queuePath} is encrypted with the AWS managed key alias/aws/sqs, whose key policy cannot let ` +
        'SNS deliver to it; use encryption sqs.QueueEncryption.SQS_MANAGED (the default) or a customer managed key',
    );
  }
  if (facts.queueFifo && !facts.topicFifo) {
    errors.push(
      `queue ${facts.queuePath} is a FIFO queue, and a standard topic cannot deliver to it; make the topic fifo ` +
        'or the queue standard',
    );
  }
  return errors;
}
