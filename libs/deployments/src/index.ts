export * from './deploy-configs/decider';
export * from './deploy-configs/projection';
export * from './deploy-configs/queries';
