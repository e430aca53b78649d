export * from './nginx-process';
