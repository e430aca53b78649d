import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DomainError } from '@platform/contracts';
import { generateDockerfile } from './dockerfile';
import { detectStack } from './stack-detection';

let scratch: string;
let projects = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'platform-json-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function project(files: Record<string, unknown>): Promise<string> {
  const dir = join(scratch, `project-${++projects}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const VITE_APP = {
  'package.json': { name: 'site', scripts: { build: 'vite build' }, devDependencies: { vite: '^8.0.0' } },
  'index.html': '<script type="module" src="/src/main.ts"></script>',
};

async function refusal(dir: string): Promise<DomainError> {
  const error = await detectStack(dir).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('platform.json', () => {
  it("replaces a built site's build command and output directory, quoting the command for the Dockerfile", async () => {
    const build = 'npm run prepare-docs && vite build --outDir "site $HOME" \\';
    const dir = await project({ ...VITE_APP, 'platform.json': { build, outputDir: './public-site/' } });
    const { stack, dockerfile } = await generateDockerfile(dir);
    expect(stack).toMatchObject({ kind: 'built-site', buildCommand: build, outputDir: 'public-site' });
    expect(stack.notes.slice(0, 2)).toEqual([
      `a static site built with platform.json's build "${build}": nothing starts a server (no start script, no main, no server.js or index.js)`,
      "the site is served from public-site/ (platform.json's outputDir), with index.html for the app's routes",
    ]);
    // Exec form: Docker neither splits nor expands it; the shell in the container reads it exactly as written.
    expect(dockerfile).toContain(`\nENV NODE_ENV=production\nRUN ${JSON.stringify(['/bin/sh', '-c', build])}\n`);
    expect(dockerfile).toContain('\nCOPY --from=build /app/public-site/ /srv/site/\n');
  });

  it("replaces a server's start command: run directly when it is one plain command, by the shell otherwise", async () => {
    const plain = await generateDockerfile(
      await project({
        'package.json': { name: 'api', scripts: { start: 'node server.js', build: 'tsc' } },
        'platform.json': { start: 'node dist/main.js --port 8080', build: 'npx tsc -p tsconfig.build.json' },
      }),
    );
    expect(plain.stack).toMatchObject({
      kind: 'node',
      start: { platformJson: 'node dist/main.js --port 8080', command: ['node', 'dist/main.js', '--port', '8080'] },
      build: true,
    });
    expect(plain.stack.notes[0]).toBe(
      'a Node.js app, started with platform.json\'s start "node dist/main.js --port 8080"; platform.json\'s build "npx tsc -p tsconfig.build.json" runs first, with NODE_ENV=production',
    );
    expect(plain.dockerfile).toContain(
      '\nENV NODE_ENV=production\nRUN ["/bin/sh","-c","npx tsc -p tsconfig.build.json"]\nRUN npm prune --omit=dev\n',
    );
    expect(plain.dockerfile.endsWith('CMD ["node","dist/main.js","--port","8080"]\n')).toBe(true);

    const shell = await generateDockerfile(
      await project({
        'package.json': { name: 'api', scripts: { build: 'tsc' } },
        'platform.json': { start: 'node migrate.js && exec node server.js' },
      }),
    );
    expect(shell.stack).toMatchObject({
      kind: 'node',
      start: { platformJson: 'node migrate.js && exec node server.js' },
    });
    expect(shell.dockerfile.endsWith('CMD ["/bin/sh","-c","node migrate.js && exec node server.js"]\n')).toBe(true);
  });

  it('sets the port the app listens on, over the one the platform asks for', async () => {
    const dir = await project({ 'index.html': '<h1>hi</h1>', 'platform.json': { port: 8080 } });
    const { stack, dockerfile } = await generateDockerfile(dir, { port: 3000 });
    expect(stack.port).toBe(8080);
    expect(dockerfile).toContain('\nENV PORT=8080\nEXPOSE 8080\n');
  });

  it('says which of its fields a project does not use', async () => {
    const python = await detectStack(
      await project({
        'requirements.txt': 'flask\n',
        'app.py': 'app = Flask(__name__)\n',
        'platform.json': { start: 'gunicorn app:app', outputDir: 'dist' },
      }),
    );
    expect(python.notes).toContain("platform.json's start and outputDir are not used for this kind of project");
    const own = await detectStack(await project({ Dockerfile: 'FROM scratch\n', 'platform.json': { port: 1 } }));
    expect(own.notes).toContain('platform.json is not used: the Dockerfile says how to build and start the app');
  });

  it('refuses a platform.json that is wrong, naming the field', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ port: 'eighty' }, 'port', 'platform.json: "port" must be a whole number'],
      [{ port: 70000 }, 'port', 'platform.json: "port" must be 1 to 65535'],
      [
        { build: 'npm run build\nrm -rf /' },
        'build',
        'platform.json: "build" must be one line without control characters',
      ],
      [{ start: '' }, 'start', 'platform.json: "start" must not be empty'],
      [{ start: ['node', 'server.js'] }, 'start', 'platform.json: "start" must be a string'],
      [
        { outputDir: '../elsewhere' },
        'outputDir',
        'platform.json: "outputDir" must be a plain relative path inside the project',
      ],
      [
        { outputDir: '/srv/www' },
        'outputDir',
        'platform.json: "outputDir" must be a plain relative path inside the project',
      ],
      [
        { buildCommand: 'make' },
        'buildCommand',
        'platform.json: "buildCommand" is not a field of platform.json (it takes build, start, outputDir and port)',
      ],
      [['build'], '', 'platform.json must be a JSON object'],
    ];
    for (const [content, field, message] of cases) {
      const error = await refusal(await project({ ...VITE_APP, 'platform.json': content }));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'validation_failed', message });
      expect(error.details).toEqual([expect.objectContaining({ file: 'platform.json', field })]);
    }
    const notJson = await refusal(await project({ ...VITE_APP, 'platform.json': '{ "port": 8080, }' }));
    expect(notJson.message).toMatch(/^platform\.json is not valid JSON: /);
  });
});
