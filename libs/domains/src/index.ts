export * from './domains/decider';
export * from './domains/projection';
export * from './domains/queries';
