export * from './signing';
export * from './secret';
