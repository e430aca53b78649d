import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tarOf } from '@platform/archive/src/test-support';
import { AgentLabels, ArchiveContentTypes, DomainError } from '@platform/contracts';
import { docker, startTestAgent, type TestAgent } from '../test-support';

jest.setTimeout(120_000);

let agent: TestAgent;

/** A tiny image (FROM scratch, no base image needed) built through the agent, so it carries the platform's labels. */
async function buildThroughAgent(
  repository: string,
  tag: string,
  service: string,
  workspace?: string,
): Promise<string> {
  const file = join(agent.dataDir, `${repository}-${tag}.tar.gz`);
  await writeFile(
    file,
    await tarOf([{ name: 'Dockerfile', content: `FROM scratch\nLABEL build=${repository}-${tag}\n` }]),
  );
  return (
    await agent.client.buildImage(
      { repository, tag, service, workspace },
      { path: file, contentType: ArchiveContentTypes.tarGzip },
    )
  ).image;
}

/** An image the platform did not make (or another server's agent made: `labels`), tagged like a deployment. */
async function buildForeign(image: string, labels: Record<string, string> = {}): Promise<void> {
  const context = Readable.from([
    await tarOf([{ name: 'Dockerfile', content: `FROM scratch\nLABEL foreign=${image}\n` }], { gzip: false }),
  ]);
  const stream = await docker.buildImage(context, { t: image, labels });
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(undefined))),
  );
}

async function exists(image: string): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

beforeAll(async () => {
  agent = await startTestAgent('images');
});
afterAll(async () => {
  await agent?.close();
});

describe('prune', () => {
  it('keeps the newest N deploy tags per service, skips images in use, and leaves foreign and other servers’ images alone', async () => {
    const api = agent.name('api');
    const web = agent.name('web');
    const foreign = `${agent.name('foreign')}:deploy_00000000`;
    const apiTags = [];
    for (let index = 1; index <= 4; index++)
      apiTags.push(await buildThroughAgent(api, `deploy_a000000${index}`, 'api'));
    const webTags = [
      await buildThroughAgent(web, 'deploy_b0000001', 'web'),
      await buildThroughAgent(web, 'deploy_b0000002', 'web'),
    ];
    const notADeploy = await buildThroughAgent(api, 'latest', 'api');
    await buildForeign(foreign);
    const otherServers = [1, 2, 3].map((index) => `${agent.name('elsewhere')}:deploy_0000000${index}`);
    for (const image of otherServers) {
      await buildForeign(image, {
        [AgentLabels.managed]: 'true',
        [AgentLabels.service]: 'api',
        [AgentLabels.agent]: 'another-server',
      });
    }
    // A container (never started) still uses the second-oldest api image.
    const user = await docker.createContainer({ name: agent.name('user'), Image: apiTags[1], Cmd: ['none'] });

    try {
      const result = await agent.client.pruneImages({ keep: 2 });
      expect(result.removed.filter((tag) => tag.includes(agent.name('')))).toEqual([apiTags[0]]);
      expect(result.skipped).toEqual([{ image: apiTags[1], reason: expect.stringMatching(/conflict|being used/) }]);
      expect(result.kept.filter((tag) => tag.includes(agent.name('')))).toEqual(
        expect.arrayContaining([apiTags[3], apiTags[2], ...webTags]),
      );

      expect(await exists(apiTags[0])).toBe(false);
      for (const kept of [apiTags[1], apiTags[2], apiTags[3], ...webTags, notADeploy, foreign, ...otherServers])
        expect(await exists(kept)).toBe(true);
    } finally {
      await user.remove({ force: true });
    }
  });

  it('only looks at one service when asked to', async () => {
    const solo = agent.name('solo');
    const other = agent.name('other');
    const soloTags = [
      await buildThroughAgent(solo, 'deploy_c0000001', 'solo'),
      await buildThroughAgent(solo, 'deploy_c0000002', 'solo'),
    ];
    const otherTags = [
      await buildThroughAgent(other, 'deploy_d0000001', 'other'),
      await buildThroughAgent(other, 'deploy_d0000002', 'other'),
    ];
    const result = await agent.client.pruneImages({ keep: 1, service: 'solo' });
    expect(result.removed).toEqual([soloTags[0]]);
    expect(await exists(otherTags[0])).toBe(true);
  });
});

describe('images', () => {
  it('lists only the platform’s images of this server (local servers of other workspaces share the engine)', async () => {
    const foreign = `${agent.name('listed-foreign')}:deploy_00000000`;
    await buildForeign(foreign);
    const otherServer = `${agent.name('listed-elsewhere')}:deploy_00000000`;
    await buildForeign(otherServer, {
      [AgentLabels.managed]: 'true',
      [AgentLabels.service]: 'listed',
      [AgentLabels.workspace]: randomUUID(),
      [AgentLabels.agent]: 'another-server',
    });
    const own = await buildThroughAgent(agent.name('listed'), 'deploy_e0000001', 'listed');
    const listed = (await agent.client.listImages()).images.flatMap((image) => image.tags);
    expect(listed).toContain(own);
    expect(listed).not.toContain(foreign);
    expect(listed).not.toContain(otherServer);
    expect((await agent.client.listImages({ service: 'listed' })).images).toEqual([
      {
        id: expect.stringMatching(/^sha256:/),
        tags: [own],
        service: 'listed',
        createdAt: expect.any(String),
        sizeBytes: expect.any(Number),
      },
    ]);
  });

  it('tags an image it did not build as the platform’s own (so prune and list see it), leaving the source as it was', async () => {
    const source = `${agent.name('pulled')}:1.0`;
    await buildForeign(source);
    const adopted = await agent.client.tagImage({
      source,
      repository: agent.name('adopted'),
      tag: 'deploy_f0000001',
      service: 'adopted',
      workspace: randomUUID(),
    });
    expect(adopted.image).toBe(`${agent.name('adopted')}:deploy_f0000001`);
    const labels = (await docker.getImage(adopted.image).inspect()).Config.Labels ?? {};
    expect(labels[AgentLabels.managed]).toBe('true');
    expect(labels[AgentLabels.service]).toBe('adopted');
    expect((await docker.getImage(source).inspect()).Config.Labels?.[AgentLabels.managed]).toBeUndefined();
  });

  it('tags an image the platform made only for the workspace and service it was made for', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const built = await buildThroughAgent(agent.name('owned'), 'deploy_h0000001', 'owned', first);
    const builtLabels = (await docker.getImage(built).inspect()).Config.Labels ?? {};
    expect(builtLabels[AgentLabels.workspace]).toBe(first);
    const tagFor = (workspace: string, service: string, tag: string) =>
      agent.client.tagImage({ source: built, repository: agent.name('owned-again'), tag, service, workspace });

    await expect(tagFor(second, 'owned', 'deploy_h0000002')).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('another service'),
    });
    await expect(tagFor(first, 'someone-else', 'deploy_h0000003')).rejects.toMatchObject({ code: 'forbidden' });
    expect(await exists(`${agent.name('owned-again')}:deploy_h0000002`)).toBe(false);
    // An image tagged for its own service is tagged again (a rollback, another server of the deployment).
    const again = await tagFor(first, 'owned', 'deploy_h0000004');
    expect((await docker.getImage(again.image).inspect()).Config.Labels?.[AgentLabels.workspace]).toBe(first);
  });

  it('refuses an image named by its id or an id prefix', async () => {
    const built = await buildThroughAgent(agent.name('by-id'), 'deploy_i0000001', 'by-id', randomUUID());
    const id = (await docker.getImage(built).inspect()).Id.replace('sha256:', '');
    for (const source of [id.slice(0, 6), id, `sha256:${id}`]) {
      await expect(
        agent.client.tagImage({
          source,
          repository: agent.name('by-id-again'),
          tag: 'deploy_i0000002',
          service: 'by-id',
          workspace: randomUUID(),
        }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    }
  });

  it('refuses to remove an image the platform did not make, and removes its own', async () => {
    const foreign = `${agent.name('keep-out')}:deploy_00000000`;
    await buildForeign(foreign);
    await expect(agent.client.removeImage({ image: foreign })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await exists(foreign)).toBe(true);
    const own = await buildThroughAgent(agent.name('removable'), 'deploy_g0000001', 'removable');
    await expect(agent.client.removeImage({ image: own })).resolves.toMatchObject({
      removed: expect.arrayContaining([own]),
    });
    expect(await exists(own)).toBe(false);
  });

  it('reports a pull that cannot reach its registry', async () => {
    const failure = await agent.client
      .pullImage({ image: '127.0.0.1:1/nothing/here:1.0' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).message).toMatch(
      /pulling 127\.0\.0\.1:1\/nothing\/here:1\.0 failed: .*(connection refused|connect)/,
    );
  });
});
