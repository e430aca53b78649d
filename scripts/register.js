// Runs TypeScript sources directly (apps, scripts, benchmarks) with the decorator metadata NestJS needs.
process.env.SWCRC = process.env.SWCRC ?? 'true';
require('@swc-node/register');
