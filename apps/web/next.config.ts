import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The contracts are TypeScript sources in the monorepo; the console imports their types (and, on the
  // server, the route table for permissions).
  transpilePackages: ['@platform/contracts'],
  typedRoutes: true,
  poweredByHeader: false,
  reactStrictMode: true,
  // The server's files traced into `<distDir>/standalone`, which src/main.ts serves from (a leaner server).
  output: 'standalone',
  // Tests build into a directory of their own, so they never disturb a console being served from `.next`.
  distDir: process.env.NEXT_DIST_DIR ?? 'dist/console',
};

export default nextConfig;
