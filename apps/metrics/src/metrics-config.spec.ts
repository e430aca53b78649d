import { ConfigError } from '@platform/service-kit';
import { loadMetricsConfig } from './metrics-config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadMetricsConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the metrics service settings for OpenSearch', () => {
  it('leaves OpenSearch out when neither OPENSEARCH_URL nor OPENSEARCH_HOST is set', () => {
    expect(loadMetricsConfig({}).openSearch).toBeNull();
  });

  it('builds the node from host, port and SSL, with basic credentials', () => {
    const config = loadMetricsConfig({
      OPENSEARCH_HOST: 'search.internal',
      OPENSEARCH_PORT: '9243',
      OPENSEARCH_USE_SSL: 'true',
      OPENSEARCH_AUTH_TYPE: 'basic',
      OPENSEARCH_USERNAME: 'metrics',
      OPENSEARCH_PASSWORD: 'p4ss',
      OPENSEARCH_RETENTION_DAYS: '14',
    });
    expect(config.openSearch).toEqual({
      node: 'https://search.internal:9243',
      auth: { type: 'basic', username: 'metrics', password: 'p4ss' },
      dataStream: 'request-metrics',
      retentionDays: 14,
    });
    // The raw secret is not kept beside the typed settings (which are never logged).
    expect(config).not.toHaveProperty('OPENSEARCH_PASSWORD');
  });

  it('takes SigV4 settings for Amazon OpenSearch Service', () => {
    const config = loadMetricsConfig({
      OPENSEARCH_URL: 'https://search-domain.eu-west-1.es.amazonaws.com',
      OPENSEARCH_AUTH_TYPE: 'aws',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    expect(config.openSearch?.auth).toEqual({
      type: 'aws',
      region: 'eu-west-1',
      service: 'es',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: undefined },
    });
  });

  it('refuses settings that do not fit together, naming each without showing a password', () => {
    const problems = problemsOf({
      OPENSEARCH_URL: 'http://127.0.0.1:9200',
      OPENSEARCH_HOST: '127.0.0.1',
      OPENSEARCH_AUTH_TYPE: 'basic',
      OPENSEARCH_USERNAME: 'metrics',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^OPENSEARCH_HOST: set OPENSEARCH_URL or OPENSEARCH_HOST, not both/),
      expect.stringMatching(/^OPENSEARCH_PASSWORD: is required when OPENSEARCH_AUTH_TYPE=basic/),
    ]);
    expect(problemsOf({ OPENSEARCH_URL: 'ftp://x' })).toEqual([
      expect.stringMatching(/^OPENSEARCH_URL: must be an http\(s\):\/\/ URL/),
    ]);
    expect(problemsOf({ OPENSEARCH_HOST: 'h', OPENSEARCH_AUTH_TYPE: 'aws' })).toEqual([
      expect.stringMatching(/^OPENSEARCH_AWS_REGION: is required/),
      expect.stringMatching(/^AWS_ACCESS_KEY_ID: and AWS_SECRET_ACCESS_KEY are required/),
    ]);
    expect(problemsOf({ OPENSEARCH_USE_SSL: 'yes' })).toEqual([expect.stringMatching(/^OPENSEARCH_USE_SSL:/)]);
  });
});
