#!/usr/bin/env node
// Runs a command after making sure the npm dependencies are installed, so `npm start` and `npm test` work on
// a fresh clone: installs with `npm ci` when node_modules is missing or older than package-lock.json.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

if (mtime(installed) < mtime(lock)) {
  console.log('… installing npm dependencies (npm ci)');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) {
    console.error('✘ npm ci failed; check the network access to the npm registry and run `npm ci` by hand to see why.');
    process.exit(install.status ?? 1);
  }
}

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
// A supervisor's SIGTERM reaches this process only: pass it on so the platform's services stop too.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
