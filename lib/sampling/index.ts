export * from './adaptive-sampling';
