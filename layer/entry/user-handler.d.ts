// The user's handler module, substituted by esbuild's --alias when TracedFunction bundles.
declare module 'cdk-serverless-tracing-user-handler';
