// The OTLP receiver is product code of the local run (bin/local); tests use the same one.
export * from '../../bin/local/otlp-receiver';
