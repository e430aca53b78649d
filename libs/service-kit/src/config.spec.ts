import { ConfigError, loadServiceConfig } from './config';

const defaults = { context: 'deployments', httpPort: 4102 };

describe('service config', () => {
  it('fills defaults for a local run', () => {
    const config = loadServiceConfig(defaults, {});
    expect(config).toMatchObject({
      context: 'deployments',
      database: { url: 'postgres://postgres@127.0.0.1:5432/postgres', schema: 'deployments', poolSize: 10 },
      nats: { url: 'nats://127.0.0.1:4222', prefix: '' },
      http: { host: '127.0.0.1', port: 4102 },
      logLevel: 'info',
    });
  });

  it('reads and types the environment', () => {
    const config = loadServiceConfig(defaults, {
      DATABASE_URL: 'postgresql://app@db:5432/platform',
      DATABASE_POOL_SIZE: '25',
      HTTP_PORT: '9000',
      NATS_PREFIX: 'staging',
      REPLICA_ID: 'deployer-2',
    });
    expect(config.database.poolSize).toBe(25);
    expect(config.http.port).toBe(9000);
    expect(config.nats.prefix).toBe('staging');
    expect(config.replicaId).toBe('deployer-2');
  });

  it('refuses bad settings, naming every one of them', () => {
    let error: unknown;
    try {
      loadServiceConfig(defaults, {
        DATABASE_URL: 'mysql://x',
        HTTP_PORT: 'eighty',
        LOG_LEVEL: 'loud',
        NATS_PREFIX: 'a.b',
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['DATABASE_URL', 'HTTP_PORT', 'LOG_LEVEL', 'NATS_PREFIX']) expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('shows a bad value, but never a secret nor the credentials in a URL', () => {
    let error: unknown;
    try {
      loadServiceConfig(defaults, { DATABASE_URL: 'mysql://app:hunter2@db/platform', HTTP_PORT: 'eighty' });
    } catch (thrown) {
      error = thrown;
    }
    const message = (error as ConfigError).message;
    expect(message).toContain('"mysql://***@db/platform"');
    expect(message).toContain('"eighty"');
    expect(message).not.toContain('hunter2');
  });
});
