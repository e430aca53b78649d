import { DomainError } from '@platform/contracts';
import { SAFE_RELATIVE_PATH } from './paths';
import { PLATFORM_JSON, readPlatformJson, type PlatformJson } from './platform-json';
import { parseJsonFile, printable, ProjectFiles } from './project-files';

export type NodePackageManager = 'npm' | 'yarn' | 'yarn-berry' | 'pnpm';
export type NodeLockfile = 'package-lock.json' | 'npm-shrinkwrap.json' | 'yarn.lock' | 'pnpm-lock.yaml';

/** How a Node.js project's dependencies are installed, the same for an app and for a built site. */
export interface NodeInstall {
  readonly packageManager: NodePackageManager;
  /** The exact yarn or pnpm version package.json's packageManager field names, if it names one. */
  readonly packageManagerVersion?: string;
  /** The lockfile installed from; without one npm resolves the dependencies afresh. */
  readonly lockfile?: NodeLockfile;
  /** Workspaces or local (file:, link:) dependencies: the whole project is needed before installing. */
  readonly installNeedsSources: boolean;
  /** Package manager settings present beside package.json, copied in before installing. */
  readonly configFiles: readonly string[];
  /** platform.json's build command, run through the shell instead of the build script. */
  readonly buildCommand?: string;
}

export interface NodeStack extends NodeInstall {
  readonly kind: 'node';
  /**
   * The start script, else `node <main>`. A start script that is one plain command (`node server.js`, `next
   * start -p 3000`) and has no prestart/poststart hooks comes with `command`, run directly rather than by
   * `npm start`: npm runs scripts through /bin/sh, and Debian's dash does not pass SIGTERM on to the app, so
   * the app could not shut down gracefully. platform.json's start likewise: run directly when it is one plain
   * command, else by the shell.
   */
  readonly start:
    | { readonly script: 'start'; readonly command?: readonly string[] }
    | { readonly main: string }
    | { readonly platformJson: string; readonly command?: readonly string[] };
  /** A build script (or platform.json's build), run after installing with development dependencies. */
  readonly build: boolean;
}

/**
 * A Node.js project that builds a site and has no server to start (a Vite, Create React App or Astro app): built
 * with its dependencies installed, then its output served by the platform's file server as a single-page app.
 */
export interface BuiltSiteStack extends NodeInstall {
  readonly kind: 'built-site';
  /** Where the build writes the site, relative to the project. */
  readonly outputDir: string;
}

export type PythonDependencies = 'requirements.txt' | 'pyproject.toml';

export interface PythonStack {
  readonly kind: 'python';
  readonly dependencies: PythonDependencies;
  /** gunicorn for a WSGI application, uvicorn for an ASGI one. */
  readonly server: 'gunicorn' | 'uvicorn';
  /** `module:variable`, as the server takes it; module and variable are Python identifiers. */
  readonly app: string;
  /** The file the application was found in. */
  readonly entry: string;
}

export interface StaticStack {
  readonly kind: 'static';
  /** The directory served, relative to the project. */
  readonly root: '.' | 'public' | 'dist';
}

export interface DockerfileStack {
  readonly kind: 'dockerfile';
}

/**
 * What a project is, and from what it was told; `notes` are for people (build logs), with project text in them.
 * `port` is platform.json's, when it names one.
 */
export type DetectedStack = (DockerfileStack | NodeStack | BuiltSiteStack | PythonStack | StaticStack) & {
  readonly notes: readonly string[];
  readonly port?: number;
};

// ---- Node.js ------------------------------------------------------------------------------------------------

const PackageJson = {
  parse(text: string): Record<string, unknown> {
    const value = parseJsonFile(text, 'package.json');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DomainError('validation_failed', 'package.json is not a JSON object', [
        { file: 'package.json', reason: 'invalid_json' },
      ]);
    }
    return value as Record<string, unknown>;
  },
  /** A dependency installed from the project's own files rather than a registry. */
  hasLocalDependency(manifest: Record<string, unknown>): boolean {
    return ['dependencies', 'devDependencies', 'optionalDependencies'].some((field) => {
      const dependencies = manifest[field];
      if (typeof dependencies !== 'object' || dependencies === null) return false;
      return Object.values(dependencies).some(
        (spec) => typeof spec === 'string' && /^(file:|link:|portal:|workspace:|\.{0,2}\/)/.test(spec),
      );
    });
  },
  script(manifest: Record<string, unknown>, name: string): boolean {
    return PackageJson.scriptText(manifest, name) !== undefined;
  },
  scriptText(manifest: Record<string, unknown>, name: string): string | undefined {
    const scripts = manifest.scripts;
    if (typeof scripts !== 'object' || scripts === null) return undefined;
    const script = (scripts as Record<string, unknown>)[name];
    return typeof script === 'string' && script.trim() !== '' ? script.trim() : undefined;
  },
};

const LOCKFILES: ReadonlyArray<{ file: NodeLockfile; manager: 'npm' | 'yarn' | 'pnpm' }> = [
  // A stray package-lock.json beside another lockfile is the usual accident, so npm's come last.
  { file: 'pnpm-lock.yaml', manager: 'pnpm' },
  { file: 'yarn.lock', manager: 'yarn' },
  { file: 'package-lock.json', manager: 'npm' },
  { file: 'npm-shrinkwrap.json', manager: 'npm' },
];

const NODE_CONFIG_FILES = ['.npmrc', '.yarnrc', '.yarnrc.yml', 'pnpm-workspace.yaml'];

/** corepack's field, "pnpm@9.1.0" or "yarn@4.2.2+sha512.…": the name, and the version when it is a plain semver. */
const PACKAGE_MANAGER_FIELD = /^(npm|yarn|pnpm)@(\d+)((?:\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)?)(?:\+.*)?$/;

async function packageManagerOf(
  project: ProjectFiles,
  manifest: Record<string, unknown>,
  notes: string[],
): Promise<Pick<NodeInstall, 'packageManager' | 'packageManagerVersion' | 'lockfile'>> {
  const lockfiles = [];
  for (const candidate of LOCKFILES) if (await project.isFile(candidate.file)) lockfiles.push(candidate);
  const field = typeof manifest.packageManager === 'string' ? manifest.packageManager.trim() : undefined;
  const declared = field === undefined ? null : PACKAGE_MANAGER_FIELD.exec(field);
  if (field !== undefined && !declared)
    notes.push(`package.json's packageManager "${printable(field)}" is not understood: the lockfiles decide`);
  const manager = (declared?.[1] as 'npm' | 'yarn' | 'pnpm' | undefined) ?? lockfiles[0]?.manager ?? 'npm';
  const version = declared?.[3] ? `${declared[2]}${declared[3]}` : undefined;
  const lockfile = lockfiles.find((candidate) => candidate.manager === manager)?.file;
  if (lockfiles.length > 1) {
    notes.push(
      `several lockfiles (${lockfiles.map((candidate) => candidate.file).join(', ')}): installing with ${manager}`,
    );
  }
  if (!lockfile) notes.push(`no lockfile for ${manager}: dependencies are resolved afresh on every build`);
  if (manager === 'npm') {
    if (version) notes.push(`package.json names npm ${version}; the base image's npm is used`);
    return { packageManager: manager, lockfile };
  }
  const berry =
    manager === 'yarn' &&
    ((declared !== null && Number(declared[2]) >= 2) ||
      (await project.isFile('.yarnrc.yml')) ||
      // Yarn 2+ lockfiles open with a __metadata block; Yarn 1's never have one.
      (lockfile !== undefined && ((await project.readHead(lockfile, 4096)) ?? '').includes('__metadata:')));
  return { packageManager: berry ? 'yarn-berry' : manager, packageManagerVersion: version, lockfile };
}

/** Words a shell would pass on unchanged: no quoting, expansion, redirection or operators. */
const PLAIN_WORD = /^[A-Za-z0-9_./@:,+=%-]+$/;
const PLAIN_PROGRAM = /^[A-Za-z0-9_./@-]+$/;

/** A command as an argument list, when running it without a shell changes nothing. */
function plainWords(command: string): string[] | undefined {
  // A leading exec is the shell's own word; without a shell, the program is what follows it.
  const words = command.replace(/^exec +/, '').split(/ +/);
  return PLAIN_PROGRAM.test(words[0]) && words.every((word) => PLAIN_WORD.test(word)) ? words : undefined;
}

/** The start script as an argument list, when running it without a shell changes nothing. */
function plainCommand(manifest: Record<string, unknown>, notes: string[]): string[] | undefined {
  const script = PackageJson.scriptText(manifest, 'start') ?? '';
  const hooks = PackageJson.script(manifest, 'prestart') || PackageJson.script(manifest, 'poststart');
  const words = hooks ? undefined : plainWords(script);
  if (words) return words;
  if (!/^exec\s/.test(script)) {
    notes.push(
      'the start script runs through npm and a shell that does not pass SIGTERM on: begin it with "exec" so the app can shut down gracefully',
    );
  }
  return undefined;
}

/**
 * How the app starts, and why: platform.json's start, else as npm would, by the start script, else `main`
 * (resolved as `require` does), else server.js or index.js.
 */
async function startOf(
  project: ProjectFiles,
  manifest: Record<string, unknown>,
  settings: PlatformJson,
  build: boolean,
  notes: string[],
): Promise<{ start: NodeStack['start']; reason: string } | undefined> {
  if (settings.start !== undefined) {
    const command = plainWords(settings.start);
    if (!command && !/^exec\s/.test(settings.start)) {
      notes.push(
        'platform.json\'s start runs through a shell that does not pass SIGTERM on: begin it with "exec" so the app can shut down gracefully',
      );
    }
    const reason = `platform.json's start "${printable(settings.start)}"`;
    return { start: command ? { platformJson: settings.start, command } : { platformJson: settings.start }, reason };
  }
  const script = PackageJson.scriptText(manifest, 'start');
  if (script !== undefined) {
    const command = plainCommand(manifest, notes);
    const reason = `package.json's start script "${printable(script)}"`;
    return { start: command ? { script: 'start', command } : { script: 'start' }, reason };
  }
  if (typeof manifest.main === 'string' && manifest.main.trim() !== '') {
    const main = manifest.main.trim().replace(/^\.\//, '');
    if (!SAFE_RELATIVE_PATH.test(main)) {
      throw new DomainError(
        'validation_failed',
        `package.json's main "${printable(main)}" is not a plain relative path inside the project`,
        [{ file: 'package.json', field: 'main', reason: 'unsafe_path' }],
      );
    }
    const reason = `package.json's main "${printable(main)}"`;
    for (const candidate of [main, `${main}.js`, `${main.replace(/\/$/, '')}/index.js`]) {
      if (await project.isFile(candidate)) return { start: { main: candidate }, reason };
    }
    // The build script may be what writes it (TypeScript into dist/, say).
    if (build) return { start: { main }, reason: `${reason}, which the build writes` };
    return undefined;
  }
  for (const main of ['server.js', 'index.js']) {
    if (await project.isFile(main)) return { start: { main }, reason: `${main}, which npm start runs by default` };
  }
  return undefined;
}

const VITE_CONFIGS = ['vite.config.ts', 'vite.config.js', 'vite.config.mjs', 'vite.config.mts', 'vite.config.cjs'];
const ASTRO_CONFIGS = ['astro.config.mjs', 'astro.config.ts', 'astro.config.js', 'astro.config.mts'];
/** `outDir: 'site'` as Vite's build.outDir and Astro's outDir are usually written; anything else is left alone. */
const OUT_DIR = /\boutDir\s*:\s*(['"`])([^'"`\n]+)\1/;

function dependsOn(manifest: Record<string, unknown>, name: string): boolean {
  return ['dependencies', 'devDependencies'].some((field) => {
    const dependencies = manifest[field];
    return typeof dependencies === 'object' && dependencies !== null && name in dependencies;
  });
}

/** Where the build writes the site, and why the platform thinks so. */
async function outputDirOf(
  project: ProjectFiles,
  manifest: Record<string, unknown>,
  settings: PlatformJson,
): Promise<{ dir: string; reason: string }> {
  if (settings.outputDir !== undefined) return { dir: settings.outputDir, reason: "platform.json's outputDir" };
  const tools = [
    { configs: VITE_CONFIGS, option: "Vite's build.outDir" },
    { configs: ASTRO_CONFIGS, option: "Astro's outDir" },
  ];
  for (const { configs, option } of tools) {
    const config = (await project.existing(configs))[0];
    if (config === undefined) continue;
    const set = OUT_DIR.exec((await project.read(config)) ?? '');
    if (!set) return { dir: 'dist', reason: `${config} leaves ${option} at its default` };
    const dir = set[2].replace(/^\.\//, '').replace(/\/+$/, '');
    if (!SAFE_RELATIVE_PATH.test(dir)) {
      throw new DomainError(
        'validation_failed',
        `${config} sets ${option} to "${printable(dir)}", which is not a plain relative path inside the project: name the directory the build writes in platform.json's outputDir`,
        [{ file: config, field: 'outDir', reason: 'unsafe_path' }],
      );
    }
    return { dir, reason: `${config} sets ${option}` };
  }
  if (dependsOn(manifest, 'react-scripts'))
    return { dir: 'build', reason: 'Create React App (react-scripts) builds into build/' };
  if (dependsOn(manifest, 'vite') || dependsOn(manifest, 'astro'))
    return { dir: 'dist', reason: 'Vite and Astro build into dist/ by default' };
  if (dependsOn(manifest, 'next'))
    return { dir: 'out', reason: "Next.js exports a static site into out/ (with output: 'export')" };
  return { dir: 'dist', reason: 'the usual place, as no known build tool says otherwise' };
}

async function detectNode(
  project: ProjectFiles,
  manifestText: string,
  settings: PlatformJson,
): Promise<((NodeStack | BuiltSiteStack) & { notes: string[] }) | undefined> {
  const manifest = PackageJson.parse(manifestText);
  const notes: string[] = [];
  const buildScript = PackageJson.scriptText(manifest, 'build');
  const build = settings.build !== undefined || buildScript !== undefined;
  const buildReason =
    settings.build !== undefined
      ? `platform.json's build "${printable(settings.build)}"`
      : `its build script "${printable(buildScript ?? '')}"`;
  const started = await startOf(project, manifest, settings, build, notes);
  if (!started && !build) return undefined;
  const install = await installOf(project, manifest, settings, notes);
  if (started) {
    const what = `a Node.js app, started with ${started.reason}`;
    return {
      kind: 'node',
      ...install,
      start: started.start,
      build,
      notes: [build ? `${what}; ${buildReason} runs first, with NODE_ENV=production` : what, ...notes],
    };
  }
  const output = await outputDirOf(project, manifest, settings);
  return {
    kind: 'built-site',
    ...install,
    outputDir: output.dir,
    notes: [
      `a static site built with ${buildReason}: nothing starts a server (no start script, no main, no server.js or index.js)`,
      `the site is served from ${output.dir}/ (${output.reason}), with index.html for the app's routes`,
      ...notes,
    ],
  };
}

async function installOf(
  project: ProjectFiles,
  manifest: Record<string, unknown>,
  settings: PlatformJson,
  notes: string[],
): Promise<NodeInstall> {
  const { packageManager, packageManagerVersion, lockfile } = await packageManagerOf(project, manifest, notes);
  const engines = manifest.engines;
  if (
    typeof engines === 'object' &&
    engines !== null &&
    typeof (engines as Record<string, unknown>).node === 'string'
  ) {
    notes.push(
      `package.json asks for Node.js "${printable((engines as Record<string, string>).node)}"; the app runs on the base image's Node.js`,
    );
  }
  const installNeedsSources =
    manifest.workspaces !== undefined ||
    (await project.isFile('pnpm-workspace.yaml')) ||
    PackageJson.hasLocalDependency(manifest);
  return {
    packageManager,
    packageManagerVersion,
    lockfile,
    installNeedsSources,
    configFiles: await project.existing(NODE_CONFIG_FILES),
    buildCommand: settings.build,
  };
}

// ---- Python -------------------------------------------------------------------------------------------------

/** Where applications usually live, in the order they are looked at, with the module each file is. */
const PYTHON_ENTRIES: ReadonlyArray<{ file: string; module: string }> = [
  { file: 'wsgi.py', module: 'wsgi' },
  { file: 'asgi.py', module: 'asgi' },
  { file: 'app.py', module: 'app' },
  { file: 'main.py', module: 'main' },
  { file: 'application.py', module: 'application' },
  { file: 'server.py', module: 'server' },
  { file: 'app/__init__.py', module: 'app' },
  { file: 'app/main.py', module: 'app.main' },
  { file: 'src/app.py', module: 'src.app' },
  { file: 'src/main.py', module: 'src.main' },
];

/** `name = [module.]Factory(` at the start of a line; the name is what the server loads. */
function assignment(factories: string): RegExp {
  return new RegExp(
    `^([A-Za-z_][A-Za-z0-9_]*)\\s*(?::[^=\\n]+)?=\\s*(?:[A-Za-z_][A-Za-z0-9_.]*\\.)?(?:${factories})\\s*\\(`,
    'm',
  );
}

const ASGI_APP = assignment('FastAPI|Starlette|Quart|Litestar|get_asgi_application');
const WSGI_APP = assignment('Flask|Bottle|falcon\\.App|falcon\\.API|get_wsgi_application|make_wsgi_app');
/** A WSGI application written by hand, as PEP 3333 shows it: `def application(environ, start_response):`. */
const WSGI_FUNCTION = /^def\s+(application|app)\s*\(\s*environ\b/m;

async function djangoEntry(
  project: ProjectFiles,
  manage: string,
): Promise<Pick<PythonStack, 'server' | 'app' | 'entry'> | undefined> {
  // manage.py names the settings module: os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
  const settings = /DJANGO_SETTINGS_MODULE["']\s*,\s*["']([A-Za-z_][A-Za-z0-9_]*)\.settings["']/.exec(manage);
  if (!settings) return undefined;
  const entry = `${settings[1]}/wsgi.py`;
  const text = await project.read(entry);
  const found = text === undefined ? null : WSGI_APP.exec(text);
  return found ? { server: 'gunicorn', app: `${settings[1]}.wsgi:${found[1]}`, entry } : undefined;
}

async function detectPython(
  project: ProjectFiles,
  dependencies: PythonDependencies,
): Promise<(PythonStack & { notes: string[] }) | undefined> {
  const manage = await project.read('manage.py');
  const django = manage === undefined ? undefined : await djangoEntry(project, manage);
  if (django)
    return { kind: 'python', dependencies, ...django, notes: [`a Django project: ${django.app} served by gunicorn`] };
  for (const { file, module } of PYTHON_ENTRIES) {
    const text = await project.read(file);
    if (text === undefined) continue;
    const asgi = ASGI_APP.exec(text);
    if (asgi)
      return { kind: 'python', dependencies, server: 'uvicorn', app: `${module}:${asgi[1]}`, entry: file, notes: [] };
    const wsgi = WSGI_APP.exec(text) ?? WSGI_FUNCTION.exec(text);
    if (wsgi)
      return { kind: 'python', dependencies, server: 'gunicorn', app: `${module}:${wsgi[1]}`, entry: file, notes: [] };
  }
  return undefined;
}

// ---- static sites -------------------------------------------------------------------------------------------

const STATIC_ROOTS: ReadonlyArray<StaticStack['root']> = ['dist', 'public', '.'];

/**
 * What the project in `dir` is: its own Dockerfile (which always wins), a Node.js app, a site a Node.js build
 * makes, a Python WSGI/ASGI app or a static site, in that order, as far as its platform.json (validated) does not
 * say otherwise. Refuses with `validation_failed`, saying what was looked for and what was
 * found, when it is none of them.
 */
export async function detectStack(dir: string): Promise<DetectedStack> {
  const project = await ProjectFiles.open(dir);
  if (await project.isFile('Dockerfile')) {
    const ignored = (await project.isFile(PLATFORM_JSON))
      ? ['platform.json is not used: the Dockerfile says how to build and start the app']
      : [];
    return { kind: 'dockerfile', notes: ['the project has its own Dockerfile, used as it is', ...ignored] };
  }
  const settings = await readPlatformJson(project);
  const stack = await detectGenerated(project, settings);
  const applies: Record<Exclude<DetectedStack['kind'], 'dockerfile'>, ReadonlyArray<keyof PlatformJson>> = {
    node: ['build', 'start'],
    'built-site': ['build', 'outputDir'],
    python: [],
    static: [],
  };
  const unused = (['build', 'start', 'outputDir'] as const).filter(
    (field) => settings[field] !== undefined && !applies[stack.kind].includes(field),
  );
  const notes = unused.length
    ? [
        ...stack.notes,
        `platform.json's ${unused.join(' and ')} ${unused.length > 1 ? 'are' : 'is'} not used for this kind of project`,
      ]
    : stack.notes;
  return settings.port === undefined ? { ...stack, notes } : { ...stack, notes, port: settings.port };
}

/** What a project without a Dockerfile is, from its files and its platform.json. */
async function detectGenerated(
  project: ProjectFiles,
  settings: PlatformJson,
): Promise<Exclude<DetectedStack, DockerfileStack>> {
  const found: string[] = [];
  const manifest = await project.read('package.json');
  if (manifest !== undefined) {
    const node = await detectNode(project, manifest, settings);
    if (node) return node;
    found.push('package.json without a start script, a build script, a main file, server.js or index.js');
  }

  const dependencies = (await project.existing(['requirements.txt', 'pyproject.toml']))[0] as
    PythonDependencies | undefined;
  if (dependencies) {
    const python = await detectPython(project, dependencies);
    if (python) return python;
    found.push(`${dependencies} without a WSGI or ASGI application`);
  }

  for (const root of STATIC_ROOTS) {
    if (await project.isFile(root === '.' ? 'index.html' : `${root}/index.html`)) {
      return {
        kind: 'static',
        root,
        notes: found.map((what) => `${what}: serving ${root === '.' ? 'the project' : `${root}/`} as a static site`),
      };
    }
  }

  throw new DomainError(
    'validation_failed',
    'the platform cannot tell how to build this project; add a Dockerfile at its root, or make it one of: ' +
      'a Node.js app (package.json with a "start" script or a "main" file), or a site it builds (a "build" script); ' +
      `a Python app (requirements.txt or pyproject.toml, and an application such as "app = Flask(__name__)" or "app = FastAPI()" in ${PYTHON_ENTRIES.map((entry) => entry.file).join(', ')}, or a Django project); ` +
      'a static site (index.html at the root, in public/ or in dist/)' +
      (found.length ? `. Found: ${found.join('; ')}` : '. Found none of these files'),
    [
      {
        reason: 'unknown_stack',
        lookedFor: ['Dockerfile', 'package.json', 'requirements.txt', 'pyproject.toml', 'index.html'],
        found,
      },
    ],
  );
}
