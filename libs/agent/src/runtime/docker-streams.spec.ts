import { buildAgainIfLayerVanished, BuildStepOutput, DockerStreamError } from './docker-streams';

/** A build that fails with each of `failures` in turn, then succeeds; counts its attempts. */
function buildFailing(...failures: Error[]) {
  let attempts = 0;
  return {
    attempts: () => attempts,
    build: async () => {
      const failure = failures[attempts++];
      if (failure) throw failure;
      return 'sha256:built';
    },
  };
}

describe('buildAgainIfLayerVanished', () => {
  it('builds again when a cached layer vanished under the build, and says so in the log', async () => {
    const log: string[] = [];
    const { build, attempts } = buildFailing(
      new DockerStreamError('failed to set parent sha256:5c3a0b8e: unknown parent image ID'),
      new DockerStreamError('No such image: sha256:5c3a0b8e77'),
    );
    await expect(buildAgainIfLayerVanished(build, (line) => log.push(line))).resolves.toBe('sha256:built');
    expect(attempts()).toBe(3);
    expect(log).toEqual([
      expect.stringContaining('building again (attempt 2 of 3)'),
      expect.stringContaining('building again (attempt 3 of 3)'),
    ]);
  });

  it('gives up after three attempts with the last failure', async () => {
    const vanished = () => new DockerStreamError('failed to set parent sha256:5c3a: unknown parent image ID');
    const { build, attempts } = buildFailing(vanished(), vanished(), vanished(), vanished());
    await expect(buildAgainIfLayerVanished(build, () => undefined)).rejects.toThrow('unknown parent image ID');
    expect(attempts()).toBe(3);
  });

  it('does not build again for a failure of the build itself', async () => {
    for (const failure of [
      new DockerStreamError("The command '/bin/sh -c npm ci' returned a non-zero code: 1"),
      new DockerStreamError('No such image: platform/node:20'),
      new Error('connect ENOENT /var/run/docker.sock'),
    ]) {
      const { build, attempts } = buildFailing(failure);
      await expect(buildAgainIfLayerVanished(build, () => undefined)).rejects.toBe(failure);
      expect(attempts()).toBe(1);
    }
  });
});

describe('BuildStepOutput', () => {
  const failedNpmBuild = [
    'Step 4/6 : RUN npm ci',
    ' ---> Using cache',
    ' ---> 5c3a0b8e77aa',
    'Step 5/6 : RUN npm run build && npm prune --omit=dev',
    ' ---> Running in 0d1f2e3c4b5a',
    '\n> app@1.0.0 build\n> tsc -p tsconfig.json\n',
    "src/main.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.",
    "src/routes.ts(12,3): error TS2304: Cannot find name 'reqest'.",
    'npm error code 2',
    'npm error path /app',
    'npm error command failed',
    'npm error command sh -c tsc -p tsconfig.json',
    'npm notice New minor version of npm available! 11.19.1 -> 11.21.3',
    'npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-06-debug-0.log',
  ];
  const builderError = "The command '/bin/sh -c npm run build && npm prune --omit=dev' returned a non-zero code: 2";

  it("names the failed command and quotes the step's own last lines, not the builder's or npm's epilogue", () => {
    const step = new BuildStepOutput();
    failedNpmBuild.forEach((line) => step.add(line));
    expect(step.failure(builderError)).toBe(
      [
        'build failed: npm run build && npm prune --omit=dev exited 2:',
        '> app@1.0.0 build',
        '> tsc -p tsconfig.json',
        "src/main.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.",
        "src/routes.ts(12,3): error TS2304: Cannot find name 'reqest'.",
      ].join('\n'),
    );
  });

  it("quotes npm's own lines when the step printed nothing else, and bounds what it quotes", () => {
    const step = new BuildStepOutput();
    step.add('Step 3/6 : RUN npm ci');
    for (let i = 0; i < 100; i++) step.add(`npm error ERESOLVE could not resolve ${'x'.repeat(1000)}`);
    const message = step.failure("The command '/bin/sh -c npm ci' returned a non-zero code: 1");
    expect(message).toMatch(/^build failed: npm ci exited 1:\nnpm error ERESOLVE could not resolve x+…\n/);
    expect(message.split('\n')).toHaveLength(6);
    expect(message.length).toBeLessThan(2000);
  });

  it("keeps the builder's message when the failure is no command's", () => {
    const step = new BuildStepOutput();
    step.add('Step 2/6 : COPY dist /app');
    expect(step.failure('COPY failed: file not found in build context')).toBe(
      'build failed: COPY failed: file not found in build context',
    );
  });
});
