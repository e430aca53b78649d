import { buildAgainIfLayerVanished, DockerStreamError } from './docker-streams';

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
