// Runs the agent from JavaScript compiled ahead of time, so the running agent does not carry a TypeScript
// compiler in memory (scripts/register.js costs about 80 MB). Each source is compiled once with @swc/core
// (the repository's .swcrc) into a cache keyed by its path and content; a changed source is compiled again.
//   node apps/agent/run.js                  start the agent (settings from the environment, see libs/agent)
//   node apps/agent/run.js --compile-only   fill the cache and exit (done before starting agents)
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const cacheDir = process.env.AGENT_COMPILE_CACHE || path.join(root, 'node_modules', '.cache', 'platform-agent');
let swcOptions;

function compile(source, filename) {
  if (!swcOptions) {
    const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
    delete swcrc.$schema;
    swcOptions = { ...swcrc, swcrc: false, sourceMaps: 'inline' };
  }
  return require('@swc/core').transformSync(source, { ...swcOptions, filename }).code;
}

function compiled(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex').slice(0, 32);
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    code = compile(source, filename);
    fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, cached);
  }
  return code;
}

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  module._compile(compiled(filename), filename);
};

/**
 * dockerode loads an SSH client and a gRPC stack when it is required, for Docker hosts reached over SSH and for
 * BuildKit sessions, neither of which the agent uses (it speaks to the local socket). Loading them only if
 * ever called saves about 25 MB of the agent's memory.
 */
function loadOnFirstCall(file) {
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  let real;
  stub.exports = function loadedOnFirstCall(...args) {
    if (!real) {
      delete require.cache[file];
      real = require(file);
    }
    return real.apply(this, args);
  };
  require.cache[file] = stub;
}
const dockerode = path.dirname(require.resolve('dockerode'));
loadOnFirstCall(path.join(dockerode, 'session.js'));
loadOnFirstCall(require.resolve('docker-modem/lib/ssh.js', { paths: [dockerode] }));

if (process.argv.includes('--compile-only')) {
  compiled(path.join(__dirname, 'src', 'main.ts'));
  require('@platform/agent');
  require('@platform/service-kit/src/logging');
} else {
  require('./src/main.ts');
}
