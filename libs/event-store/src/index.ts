export * from './types';
export * from './migrations';
export * from './event-store';
export * from './checkpoints';
export * from './leadership';
export * from './follow-loop';
export * from './projections';
export * from './outbox-relay';
