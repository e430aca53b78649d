export * from './secret-box';
export * from './certificate-authority';
