// ESLint 9 flat config: type-aware typescript-eslint rules and Nx module boundaries.
// `npx eslint . --max-warnings 0` (npm run lint) checks the whole repository.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// @nx/enforce-module-boundaries only reads the project graph Nx cached on disk (.nx/workspace-data), and skips
// itself with a mere warning when there is none. Computing the graph here keeps it present and current, so the
// boundaries are checked on every run, including a fresh clone where no nx command has run yet.
await createProjectGraphAsync({ exitOnError: true });

/** Test code: specs of every kind and the test helpers that live beside them. */
const TEST_FILES = ['**/*.spec.ts', '**/*.test.ts', '**/test-support.ts', '**/test-support/**/*.ts'];

/** Bounded contexts. A project in one may use its own and shared code only, plus what is listed here. */
const SCOPES = ['deployments', 'gateway', 'servers', 'domains', 'metrics', 'identity', 'agent', 'web', 'webhooks'];
/** The gateway hosts identity (who may call, in which workspace); every other context it reaches by contract. */
/** The dns service keeps DNS through libs/cloud's Cloudflare adapter (tagged `scope:cloud` beside its own scope). */
const ALSO_ALLOWED = { gateway: ['scope:identity'], domains: ['scope:cloud'] };

/**
 * Which project may import which, by the tags in each project's package.json (`nx.tags`): apps → domain libs
 * → contracts and util libs; adapters implement domain ports; nothing imports an app. `type:testing` (the shared
 * test helpers) is allowed in test code only.
 */
function depConstraints({ inTests }) {
  const testing = inTests ? ['type:testing'] : [];
  return [
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:util', 'type:contracts', ...testing],
    },
    { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:contracts', ...testing] },
    { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:contracts', ...testing] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', ...testing] },
    // Contracts depend on no project of ours, not even in tests (the test helpers depend on contracts).
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    // End-to-end tests drive the whole stack, so a test may reach any context; production code may not.
    ...SCOPES.map((scope) => ({
      sourceTag: `scope:${scope}`,
      onlyDependOnLibsWithTags: inTests
        ? ['scope:shared', ...SCOPES.map((other) => `scope:${other}`)]
        : [`scope:${scope}`, 'scope:shared', ...(ALSO_ALLOWED[scope] ?? [])],
    })),
  ];
}

function moduleBoundaries({ inTests }) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      banTransitiveDependencies: false,
      depConstraints: depConstraints({ inTests }),
    },
  ];
}

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    '.nx/',
    '**/coverage/',
    'tmp/',
    'test-results/',
    // Apps as their generators wrote them, kept as they are (examples/fixtures/README.md).
    'examples/fixtures/',
  ]),
  nx.configs['flat/base'],

  // JavaScript (configs and small scripts): CommonJS on Node, no type information.
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },

  // TypeScript: type-aware rules, with the type information of each file's tsconfig (the root one, or apps/web's).
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // An async function without await is a legitimate way to implement a Promise-returning interface;
      // the promise hazards are caught by no-floating-promises and no-misused-promises.
      '@typescript-eslint/require-await': 'off',
      '@nx/enforce-module-boundaries': moduleBoundaries({ inTests: false }),
    },
  },

  // The console's components run in the browser. Its typed routes (`as Route`) are generated by `next build`:
  // before a build they are plain strings, so whether such an assertion is "unnecessary" depends on whether a
  // build ran; the rule would pass or fail by the order of the CI steps.
  {
    files: ['apps/web/**/*.tsx', 'apps/web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },

  // Tests may use the shared test helpers (type:testing).
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ inTests: true }),
    },
  },

  // Tests and benchmarks read untyped driver results (pg rows are `any`) to assert on them; the no-unsafe-*
  // rules stay on for production code. Writing `any` explicitly is still an error everywhere.
  {
    files: [...TEST_FILES, 'benchmarks/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
