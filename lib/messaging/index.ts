export * from './traced-queue-options';
export { TracedQueue } from './traced-queue';
export * from './traced-topic-options';
export { TracedTopic } from './traced-topic';
