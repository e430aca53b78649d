// Tests by kind in the file name: *.spec.ts (unit), *.int.spec.ts (real services), *.e2e.spec.ts (whole stack).
const fs = require('node:fs');
const path = require('node:path');

const swc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
const transform = { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] };
const roots = ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/examples/subscriber'];
const common = { rootDir: __dirname, roots, transform, testEnvironment: 'node', setupFiles: ['reflect-metadata'] };

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int.spec.ts'],
      slowTestThreshold: 30,
      setupFilesAfterEnv: ['<rootDir>/jest.long-tests.js'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['**/*.e2e.spec.ts'],
      slowTestThreshold: 60,
      setupFilesAfterEnv: ['<rootDir>/jest.long-tests.js'],
    },
  ],
};
