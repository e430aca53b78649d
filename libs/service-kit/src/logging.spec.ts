import { Writable } from 'node:stream';
import { createLogger, withCorrelation } from './logging';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'deployments', level: 'info', replicaId: 'r1' }, destination) };
}

describe('service logger', () => {
  it('censors secrets wherever they sit in a logged object', async () => {
    const { lines, logger } = capture();
    logger.info(
      {
        token: 'do_tok_123',
        provider: { token: 'cf_tok_456', name: 'cloudflare' },
        request: { headers: { authorization: 'Bearer abc' } },
        env: { DATABASE_PASSWORD: 'hunter2' },
        user: { password: 'pw' },
      },
      'saved credentials',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    for (const secret of ['do_tok_123', 'cf_tok_456', 'Bearer abc', 'hunter2', '"pw"'])
      expect(text).not.toContain(secret);
    expect(text).toContain('cloudflare');
    expect(lines[0]).toMatchObject({ service: 'deployments', replica: 'r1', msg: 'saved credentials' });
  });

  it('stamps the correlation and command ids of the work in progress on each line', async () => {
    const { lines, logger } = capture();
    await withCorrelation({ correlationId: 'corr-42', commandId: 'cmd-7' }, async () => {
      await Promise.resolve();
      logger.info('inside');
    });
    logger.info('outside');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ msg: 'inside', correlationId: 'corr-42', commandId: 'cmd-7' });
    expect(lines[1].correlationId).toBeUndefined();
  });
});
