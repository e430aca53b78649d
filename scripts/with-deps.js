#!/usr/bin/env node
// Runs a command after making sure the npm dependencies are installed, so `npm start` and `npm test` work on
// a fresh clone: installs with `npm ci` when node_modules is missing or older than package-lock.json.
//   node scripts/with-deps.js <command> [args…]   runs the command (npm test)
//   node scripts/with-deps.js start | demo        runs the launcher of `npm start` or `npm run demo` in this
//     process, from its bundle (made first when a source changed, see bundle-platform.js): no second Node.js
//     process waits on it, and nothing is compiled at start.
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
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (install.status !== 0) {
    console.error('✖ npm ci failed; check the network access to the npm registry and run `npm ci` by hand to see why.');
    process.exit(install.status ?? 1);
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === 'start' || command === 'demo') {
  const bundled = spawnSync(process.execPath, [path.join(__dirname, 'bundle-platform.js')], { stdio: 'inherit' });
  if (bundled.status !== 0) process.exit(bundled.status ?? 1);
  require(path.join(root, 'dist', 'platform', `${command}.js`));
} else {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  // A supervisor's SIGTERM reaches this process only: pass it on so the command's processes stop too.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
