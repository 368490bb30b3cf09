import { Duration } from 'aws-cdk-lib';

/**
 * The memory of a traced function given none (MB). The function and the collector extension
 * share it: the two processes hold about 80 MB resident before the handler does anything (the
 * traced function 43 MB, the collector 37 MB, BENCHMARKS.md), which would be most of Lambda's
 * 128 MB default, and Lambda gives CPU in proportion to memory (one vCPU at 1,769 MB), which the
 * collector's start in the init phase (billed) runs on. 512 MB leaves the handler and its SDK
 * clients room and about 0.3 vCPU.
 */
export const DEFAULT_MEMORY_SIZE = 512;

/**
 * The timeout of a traced function given none: Lambda's own default, written into the template.
 * A hung call fails in seconds; the 1-second `flushTimeout` fits under it, and a `TracedQueue`'s
 * default 30-second visibility timeout stays above 6 × it (AWS's advice for an SQS consumer).
 */
export const DEFAULT_TIMEOUT = Duration.seconds(3);
