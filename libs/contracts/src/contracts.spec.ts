import { randomUUID } from 'node:crypto';
import {
  CommandEnvelopeSchema,
  decodeCursor,
  DeploySourceSchema,
  DomainError,
  encodeCursor,
  GitRefSchema,
  ImageReferenceSchema,
  parseOrThrow,
  Subjects,
  CreateDeployConfig,
  DeployConfigCreated,
  ListDeployConfigs,
} from './index';

describe('subjects', () => {
  it('names commands, events, queries and dead letters as the architecture says', () => {
    const subjects = new Subjects();
    expect(subjects.command(CreateDeployConfig)).toBe('cmd.deployments.CreateDeployConfig');
    expect(subjects.event(DeployConfigCreated)).toBe('evt.deployments.DeployConfigCreated');
    expect(subjects.query(ListDeployConfigs)).toBe('qry.deployments.ListDeployConfigs');
    expect(subjects.deadLetter('cmd.deployments.CreateDeployConfig')).toBe('dlq.cmd.deployments.CreateDeployConfig');
    expect(subjects.stream('COMMANDS')).toBe('COMMANDS');
  });

  it('namespaces a whole environment under a prefix', () => {
    const subjects = new Subjects('t_abc');
    expect(subjects.commandsOf('deployments')).toBe('t_abc.cmd.deployments.>');
    expect(subjects.deadLetter('t_abc.cmd.deployments.X')).toBe('t_abc.dlq.cmd.deployments.X');
    expect(subjects.stream('EVENTS')).toBe('t_abc_EVENTS');
    expect(() => new Subjects('a.b')).toThrow(/prefix/);
  });
});

describe('deploy sources', () => {
  it('accepts image, https git and upload sources', () => {
    for (const source of [
      { type: 'image', image: 'ghcr.io/acme/web:1.2.3' },
      { type: 'image', image: 'registry.local:5000/acme/web@sha256:' + 'a'.repeat(64) },
      { type: 'git', url: 'https://github.com/acme/web.git', ref: 'release/1.2' },
      { type: 'upload', uploadId: randomUUID() },
    ]) {
      expect(DeploySourceSchema.safeParse(source).success).toBe(true);
    }
  });

  it('refuses git URLs and refs that could turn into something else', () => {
    for (const url of [
      'ext::sh -c touch% /tmp/pwned',
      'file:///etc/passwd',
      'http://github.com/acme/web.git',
      'https://user:pw@github.com/acme/web.git',
      'ssh://git@github.com/x',
      '--upload-pack=touch /tmp/pwned',
    ]) {
      expect(DeploySourceSchema.safeParse({ type: 'git', url, ref: 'main' }).success).toBe(false);
    }
    for (const ref of ['-u', '--upload-pack=touch /tmp/x', 'a..b', 'main.lock', 'feature/', 'has space', '$(id)']) {
      expect(GitRefSchema.safeParse(ref).success).toBe(false);
    }
    for (const image of [
      'UPPER/case',
      'web; rm -rf /',
      '',
      'web:tag with space',
      '3f9a2c',
      'sha256:3f9a2c',
      'a'.repeat(64),
    ]) {
      expect(ImageReferenceSchema.safeParse(image).success).toBe(false);
    }
  });

  it('refuses unknown fields', () => {
    expect(DeploySourceSchema.safeParse({ type: 'image', image: 'web:1', extra: true }).success).toBe(false);
  });
});

describe('envelopes and errors', () => {
  it('parses a command envelope and refuses one without metadata', () => {
    const envelope = {
      commandId: randomUUID(),
      type: 'CreateDeployConfig',
      schemaVersion: 1,
      data: {},
      metadata: { workspaceId: 'ws', actorId: 'u', correlationId: 'c' },
      issuedAt: new Date().toISOString(),
    };
    expect(CommandEnvelopeSchema.parse(envelope)).toEqual(envelope);
    expect(CommandEnvelopeSchema.safeParse({ ...envelope, metadata: undefined }).success).toBe(false);
  });

  it('turns validation failures into a DomainError naming each field', () => {
    let error: unknown;
    try {
      parseOrThrow(CreateDeployConfig.data, { deployConfigId: 'nope', fields: { name: '' } }, 'deploy config');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DomainError);
    const body = (error as DomainError).toBody();
    expect(body.code).toBe('validation_failed');
    expect(body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'deployConfigId' })]));
    expect(DomainError.fromBody(body)).toMatchObject({ code: 'validation_failed', message: body.message });
  });

  it('round-trips cursors and refuses forged ones', () => {
    expect(decodeCursor(encodeCursor(['2026-11-27T00:00:00.000Z', 'id-1']), 2)).toEqual([
      '2026-11-27T00:00:00.000Z',
      'id-1',
    ]);
    expect(() => decodeCursor('not-a-cursor', 2)).toThrow(DomainError);
    expect(() => decodeCursor(encodeCursor([{ x: 1 } as never]), 1)).toThrow(/cursor/);
  });
});
