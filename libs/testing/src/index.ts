export * from './environment';
export * from './postgres';
export * from './eventually';
export * from './processes';
export * from './refusals';
