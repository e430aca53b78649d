// Bundles the platform's long-running processes (the services, the console's server, the launcher of `npm start`
// and `npm run demo`) into dist/platform, one JavaScript file each, so that none of them carries a TypeScript
// compiler in memory or compiles at start (scripts/register.js costs each about 80 MB).
//   node scripts/bundle-platform.js   bundles when a source changed since the last bundle; prints one line if so
// Our sources are compiled by @swc/core with the repository's .swcrc (esbuild does not emit the decorator metadata
// NestJS injects by), then bundled by esbuild; npm packages stay in node_modules, loaded as they are (a bundle of
// them too measured about 8 MB more per service: one large script costs more to load than many small ones).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist', 'platform');
const stamp = path.join(outDir, '.sources-mtime');

/** Output name → entry point. */
const entries = {
  gateway: 'apps/gateway/src/main.ts',
  deployer: 'apps/deployer/src/main.ts',
  provisioner: 'apps/provisioner/src/main.ts',
  metrics: 'apps/metrics/src/main.ts',
  webhooks: 'apps/webhooks/src/main.ts',
  web: 'apps/web/src/main.ts',
  start: 'scripts/start.ts',
  demo: 'scripts/demo.ts',
};

function modifiedAt(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function newestIn(directory) {
  let newest = -1;
  if (!fs.existsSync(directory)) return newest;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, modifiedAt(path.join(entry.parentPath, entry.name)));
  }
  return newest;
}

/** The newest change to what the bundles are made of: our sources, the compiler settings, the dependencies. */
function newestSource() {
  let newest = Math.max(
    newestIn(path.join(root, 'scripts')),
    modifiedAt(path.join(root, '.swcrc')),
    modifiedAt(path.join(root, 'package-lock.json')),
  );
  for (const group of ['apps', 'libs']) {
    for (const project of fs.readdirSync(path.join(root, group))) {
      newest = Math.max(newest, newestIn(path.join(root, group, project, 'src')));
    }
  }
  return newest;
}

/** Compiles each of our TypeScript files with swc, and keeps npm packages out of the bundle. */
function platformSources() {
  const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  const swcOptions = { ...swcrc, swcrc: false, sourceMaps: false, module: { type: 'es6' } };
  return {
    name: 'platform-sources',
    setup(build) {
      // npm packages stay in node_modules, except two that are bundled so that their parts below load lazily. A
      // package none of whose exports a bundle uses is not loaded (a barrel import of a lib brings many), except
      // reflect-metadata, imported for what it installs.
      build.onResolve({ filter: /^[^./]/ }, (args) =>
        /^(@platform\/|dockerode$|docker-modem$)/.test(args.path)
          ? undefined
          : { path: args.path, external: true, sideEffects: args.path === 'reflect-metadata' },
      );
      // Our modules too: a module of a lib whose exports a bundle does not use is left out (none of ours acts
      // when imported, beyond declaring).
      build.onResolve({ filter: /./ }, async (args) => {
        if (args.pluginData === 'resolving' || /^(dockerode|docker-modem)$/.test(args.path)) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'resolving',
        });
        return resolved.path.includes('/node_modules/') ? resolved : { ...resolved, sideEffects: false };
      });
      // dockerode loads an SSH client and a gRPC stack when it is required, for Docker hosts reached over SSH and
      // for BuildKit sessions, which the platform does not use (it speaks to local sockets): they are loaded from
      // node_modules if ever called, which saves about 20 MB (as apps/agent/run.js does for the agent).
      build.onLoad({ filter: /(dockerode[\\/]lib[\\/]session|docker-modem[\\/]lib[\\/]ssh)\.js$/ }, (args) => ({
        contents: `let real; module.exports = function loadedOnFirstCall(...args) {
          real ??= require(${JSON.stringify(path.relative(path.join(root, 'node_modules'), args.path))});
          return real.apply(this, args);
        };`,
        loader: 'js',
      }));
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        const source = await fs.promises.readFile(args.path, 'utf8');
        const { code } = await require('@swc/core').transform(source, { ...swcOptions, filename: args.path });
        // A source that finds files beside it (__dirname) finds them from the bundle's directory.
        const directory = JSON.stringify(path.relative(outDir, path.dirname(args.path)));
        return {
          contents: code.replace(/\b__dirname\b/g, `require("node:path").join(__dirname, ${directory})`),
          loader: 'js',
        };
      });
    },
  };
}

async function bundle() {
  const newest = newestSource();
  if (modifiedAt(stamp) >= newest) return;
  const started = Date.now();
  await require('esbuild').build({
    entryPoints: Object.entries(entries).map(([out, entry]) => ({ out, in: path.join(root, entry) })),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    keepNames: true,
    logLevel: 'warning',
    plugins: [platformSources()],
  });
  fs.writeFileSync(stamp, '');
  fs.utimesSync(stamp, new Date(), new Date(newest));
  console.log(`… bundled the services and the console's server into dist/platform (${Date.now() - started} ms)`);
}

bundle().catch((error) => {
  console.error(`✘ bundling the platform failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
