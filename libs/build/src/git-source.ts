import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { DomainError, GitRefSchema, GitUrlSchema, parseOrThrow } from '@platform/contracts';
import { isInside } from './paths';
import { publicAddressOf, type ResolveHost } from '@platform/outbound';

export interface GitSourceLimits {
  /** For the whole fetch, every git step together; git and its helpers are killed when it runs out. */
  readonly timeoutMs: number;
  /** Caps the objects fetched and, separately, the files checked out. */
  readonly maxBytes: number;
  /** Files and links in the checkout. */
  readonly maxFiles: number;
}

export const DEFAULT_GIT_SOURCE_LIMITS: GitSourceLimits = {
  timeoutMs: 120_000,
  maxBytes: 500 * 1024 * 1024,
  maxFiles: 50_000,
};

export interface GitSourceOptions {
  /**
   * Lets `file:///absolute/path` URLs through (and git's file transport), so tests can clone a local bare
   * repository without network. Never set outside tests: it would let a user read any repository on the host.
   */
  readonly allowLocalRepositoriesForTests?: boolean;
  /**
   * Lets https URLs whose host is this machine (127.0.0.0/8, `*.localhost`) through, so tests can talk to a
   * local server; every other private address is still refused. Never set outside tests.
   */
  readonly allowLoopbackForTests?: boolean;
  /** How host names are resolved; the system's resolver unless a test gives its own. */
  readonly resolve?: ResolveHost;
}

export interface FetchedGitSource {
  /** The commit checked out, as git names it (hex). */
  readonly commit: string;
  readonly files: number;
  readonly bytes: number;
}

const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function validatedUrl(url: string, options: GitSourceOptions): string {
  // GitUrlSchema's refinement calls `new URL` even on strings that are no URL, so those are refused here first.
  if (!URL.canParse(url))
    throw new DomainError('validation_failed', 'the git URL is not a URL', [
      { path: 'url', message: 'must be an https URL' },
    ]);
  if (options.allowLocalRepositoriesForTests && url.startsWith('file:///')) {
    const parsed = new URL(url);
    if (parsed.search || parsed.hash || parsed.pathname.includes('%')) {
      throw new DomainError('validation_failed', 'the git URL is not a plain file:// path');
    }
    return parsed.href;
  }
  const href = new URL(parseOrThrow(GitUrlSchema, url, 'the git URL')).href;
  // The schema allows https only; this re-checks the exact string git will receive.
  if (!href.startsWith('https://')) throw new DomainError('validation_failed', 'the git URL must use https');
  return href;
}

/**
 * Clones `source.ref` of `source.url` into `targetDir` (created if missing; it must be empty): shallow, one
 * ref, no tags, no submodules, without the `.git` directory afterwards. The URL and ref are validated again
 * here (https only; option-looking refs refused), and the host must resolve to public addresses only (not this
 * machine, private networks, link-local or cloud metadata): git connects to the address checked and follows no
 * redirect. git runs without a shell with every user value after `--`, with only the https transport allowed, no
 * prompts, no credential helpers and none of the host's git configuration. The objects fetched and the files
 * checked out are each capped, the checkout is measured before and after it is written, and symbolic links that
 * lead outside it are refused. On any failure `targetDir` is left empty.
 */
export async function fetchGitSource(
  source: { readonly url: string; readonly ref: string },
  targetDir: string,
  limits: Partial<GitSourceLimits> = {},
  options: GitSourceOptions = {},
): Promise<FetchedGitSource> {
  const url = validatedUrl(source.url, options);
  const ref = parseOrThrow(GitRefSchema, source.ref, 'the git ref');
  const effective: GitSourceLimits = { ...DEFAULT_GIT_SOURCE_LIMITS, ...limits };
  const pinned = url.startsWith('https://') ? await pinnedAddress(new URL(url), options) : undefined;

  await mkdir(targetDir, { recursive: true });
  if ((await readdir(targetDir)).length > 0) throw new Error(`${targetDir} must be empty to receive a git checkout`);
  const root = await realpath(targetDir);
  const git = new Git(root, effective, options.allowLocalRepositoriesForTests === true, pinned, `${url} at ${ref}`);
  try {
    let fetched: string;
    if (COMMIT_SHA.test(ref)) {
      // `clone --branch` takes names only; a commit is fetched by id, which servers allow for reachable commits.
      await git.run(['init', '--quiet', '--', root]);
      await git.run(['-C', root, 'fetch', '--quiet', '--depth', '1', '--no-tags', '--', url, ref], {
        watchGitDir: true,
      });
      fetched = 'FETCH_HEAD';
    } else {
      await git.run(
        [
          'clone',
          '--quiet',
          '--depth',
          '1',
          '--branch',
          ref,
          '--single-branch',
          '--no-tags',
          '--no-checkout',
          '--',
          url,
          root,
        ],
        {
          watchGitDir: true,
        },
      );
      fetched = 'HEAD';
    }
    await git.refuseLargeGitDir();
    const commit = (await git.run(['-C', root, 'rev-parse', '--verify', '--quiet', `${fetched}^{commit}`])).trim();
    if (!COMMIT_SHA.test(commit)) throw new DomainError('validation_failed', `${ref} is not a commit of ${url}`);
    // Sizes come from the tree itself, so a repository that unpacks to far more than it weighs is refused
    // before a byte of it is written.
    await git.refuseLargeTree(commit);
    await git.run(['-C', root, 'checkout', '--quiet', '--detach', '--force', commit]);
    await rm(join(root, '.git'), { recursive: true, force: true });
    const measured = await measureCheckout(root, effective);
    return { commit, ...measured };
  } catch (error) {
    for (const name of await readdir(root).catch(() => []))
      await rm(join(root, name), { recursive: true, force: true });
    throw error;
  }
}

/** Where git is to connect for an https URL: `host:port:address`, as curl's `--resolve` takes it. */
async function pinnedAddress(url: URL, options: GitSourceOptions): Promise<string> {
  const address = await publicAddressOf(url.hostname, {
    resolve: options.resolve,
    allowLoopback: options.allowLoopbackForTests,
    unresolvedReason: 'git_unreachable',
  });
  return `${url.hostname}:${url.port || '443'}:${address.includes(':') ? `[${address}]` : address}`;
}

/**
 * Transport settings that do not depend on the caller; user values never go in here. `pinned` is the address
 * checked for the URL's host: git connects there and nowhere else, and follows no redirect to another place.
 */
function gitConfig(allowFile: boolean, pinned: string | undefined): string[] {
  return [
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ...(allowFile ? [['protocol.file.allow', 'always']] : []),
    ['http.followRedirects', 'false'],
    ...(pinned ? [['http.curloptResolve', pinned]] : []),
    ['credential.helper', ''],
    ['core.hooksPath', '/dev/null'],
    ['core.askPass', ''],
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'main'],
  ].flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}

/** What git inherits: none of the host's git configuration or credentials, only the way out (proxy, CAs). */
function gitEnvironment(allowFile: boolean): NodeJS.ProcessEnv {
  const passed = [
    'PATH',
    'HTTPS_PROXY',
    'https_proxy',
    'ALL_PROXY',
    'all_proxy',
    'NO_PROXY',
    'no_proxy',
    'GIT_SSL_CAINFO',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
  ];
  const env: NodeJS.ProcessEnv = {};
  for (const name of passed) if (process.env[name] !== undefined) env[name] = process.env[name];
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: allowFile ? 'https:file' : 'https',
    // Messages in English, so that network failures can be told from refusals.
    LC_ALL: 'C',
  };
}

const STDOUT_LIMIT = 32 * 1024 * 1024;
const STDERR_KEPT = 16 * 1024;
const WATCH_INTERVAL_MS = 200;

const NETWORK_FAILURE =
  /could not resolve (host|proxy)|failed to connect|couldn't connect|connection (refused|reset|timed out)|operation timed out|network is unreachable|ssl certificate|ssl_connect|gnutls|certificate verif|early eof|unexpected disconnect|remote end hung up/i;

/** git's last words, printable and short. */
function lastLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/[^\x20-\x7e]/g, '?').trim())
    .filter(Boolean);
  return lines.slice(-3).join(' / ').slice(0, 500);
}

class Git {
  private readonly deadline: number;
  private readonly config: string[];
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly root: string,
    private readonly limits: GitSourceLimits,
    allowFile: boolean,
    pinned: string | undefined,
    private readonly what: string,
  ) {
    this.deadline = Date.now() + limits.timeoutMs;
    this.config = gitConfig(allowFile, pinned);
    this.env = gitEnvironment(allowFile);
  }

  /**
   * Runs git in its own process group, so a timeout or an overflow kills its helpers (remote-https,
   * index-pack) with it. `watchGitDir` checks the size of `.git` while objects arrive.
   */
  run(args: readonly string[], options: { watchGitDir?: boolean } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', [...this.config, ...args], {
        env: this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      let refusal: Error | undefined;
      const stop = (error: Error): void => {
        refusal ??= error;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group has already exited.
        }
      };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.length > STDOUT_LIMIT)
          stop(this.tooLarge(`git's listing of it is over ${STDOUT_LIMIT} bytes`, STDOUT_LIMIT));
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_KEPT);
      });
      const timer = setTimeout(
        () => stop(new DomainError('timeout', `fetching ${this.what} took longer than ${this.limits.timeoutMs} ms`)),
        Math.max(0, this.deadline - Date.now()),
      );
      let measuring = false;
      const watcher = options.watchGitDir
        ? setInterval(() => {
            if (measuring) return;
            measuring = true;
            treeBytes(join(this.root, '.git'))
              .then((bytes) => {
                if (bytes > this.limits.maxBytes)
                  stop(
                    this.tooLarge(`the objects fetched are over ${this.limits.maxBytes} bytes`, this.limits.maxBytes),
                  );
              })
              .catch(() => undefined)
              .finally(() => (measuring = false));
          }, WATCH_INTERVAL_MS)
        : undefined;
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        clearInterval(watcher);
        outcome();
      };
      // A git that cannot start emits 'error' and, depending on the failure, maybe no 'close'.
      child.on('error', (error) =>
        settle(() => reject(refusal ?? new Error(`git could not be started: ${error.message}`))),
      );
      child.on('close', (code) =>
        settle(() => (refusal ? reject(refusal) : code === 0 ? resolve(stdout) : reject(this.failure(stderr)))),
      );
    });
  }

  async refuseLargeGitDir(): Promise<void> {
    if ((await treeBytes(join(this.root, '.git'))) > this.limits.maxBytes) {
      throw this.tooLarge(`the objects fetched are over ${this.limits.maxBytes} bytes`, this.limits.maxBytes);
    }
  }

  /** Sums the blob sizes of the commit's tree (`ls-tree -l`), and counts its files, links and submodules. */
  async refuseLargeTree(commit: string): Promise<void> {
    const listing = await this.run(['-C', this.root, 'ls-tree', '-r', '-l', '-z', '--full-tree', commit]);
    let files = 0;
    let bytes = 0;
    for (const entry of listing.split('\0')) {
      if (!entry) continue;
      files++;
      // "<mode> <type> <object> <size>\t<path>"; the size is "-" for a submodule.
      const size = Number(entry.slice(0, entry.indexOf('\t')).trim().split(/\s+/)[3]);
      if (Number.isFinite(size)) bytes += size;
    }
    if (files > this.limits.maxFiles)
      throw this.tooLarge(`the checkout would hold more than ${this.limits.maxFiles} files`, this.limits.maxFiles);
    if (bytes > this.limits.maxBytes)
      throw this.tooLarge(`the checkout would be over ${this.limits.maxBytes} bytes`, this.limits.maxBytes);
  }

  private tooLarge(why: string, limit: number): DomainError {
    return new DomainError('payload_too_large', `${this.what} is too large: ${why}`, [
      { reason: 'limit_exceeded', limit },
    ]);
  }

  private failure(stderr: string): DomainError {
    const said = lastLines(stderr) || 'no message';
    if (NETWORK_FAILURE.test(stderr))
      return new DomainError('unavailable', `git could not reach ${this.what}: ${said}`, [
        { reason: 'git_unreachable' },
      ]);
    return new DomainError('validation_failed', `git could not fetch ${this.what}: ${said}`, [
      { reason: 'git_failed' },
    ]);
  }
}

/** Bytes of the regular files under `dir`, links not followed. */
async function treeBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += await treeBytes(path);
    else if (entry.isFile()) bytes += (await lstat(path)).size;
  }
  return bytes;
}

/**
 * Walks the checkout as it is on disk: counts files and bytes against the limits, and follows every symbolic
 * link for real (chains included), refusing one that ends outside, as the archive extractor does for uploads.
 */
async function measureCheckout(root: string, limits: GitSourceLimits): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const pending = [''];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      const absolute = join(root, path);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      files++;
      if (entry.isSymbolicLink()) {
        // A dangling link: resolve what exists of it, then the rest lexically.
        const resolved = await realpath(absolute).catch(async () =>
          resolvePath(await realpath(dirname(absolute)), await readlink(absolute)),
        );
        if (!isInside(root, resolved)) {
          throw new DomainError(
            'validation_failed',
            `the repository's symbolic link "${path.slice(0, 300)}" points outside it`,
            [{ entry: path.slice(0, 300), reason: 'link_escapes' }],
          );
        }
      } else {
        bytes += (await lstat(absolute)).size;
      }
    }
  }
  if (files > limits.maxFiles) {
    throw new DomainError('payload_too_large', `the checkout holds more than ${limits.maxFiles} files`, [
      { reason: 'limit_exceeded', limit: limits.maxFiles },
    ]);
  }
  if (bytes > limits.maxBytes) {
    throw new DomainError('payload_too_large', `the checkout is over ${limits.maxBytes} bytes`, [
      { reason: 'limit_exceeded', limit: limits.maxBytes },
    ]);
  }
  return { files, bytes };
}
