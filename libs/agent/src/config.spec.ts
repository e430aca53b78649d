import { loadAgentConfig } from './config';

describe('agent configuration', () => {
  it('applies defaults and keeps nginx under the data directory', () => {
    const config = loadAgentConfig({
      AGENT_SECRET_FILE: '/etc/agent/secret',
      AGENT_TLS_CERT_FILE: '/etc/agent/agent.crt',
      AGENT_TLS_KEY_FILE: '/etc/agent/agent.key',
      AGENT_DATA_DIR: '/var/lib/agent',
    });
    expect(config).toMatchObject({
      tls: { certFile: '/etc/agent/agent.crt', keyFile: '/etc/agent/agent.key' },
      http: { host: '127.0.0.1', port: 7100 },
      nginx: { bin: 'nginx', prefix: '/var/lib/agent/nginx', workers: 1 },
      edge: { address: '0.0.0.0', httpPort: 80, httpsPort: 443 },
      upstreamHost: '127.0.0.1',
    });
  });

  it('names every bad setting at once', () => {
    expect(() => loadAgentConfig({ AGENT_PORT: 'eighty', EDGE_ADDRESS: 'localhost' })).toThrow(
      /AGENT_PORT: .*\(got "eighty"\)[\s\S]*AGENT_SECRET_FILE: .*\(not set\)[\s\S]*AGENT_TLS_CERT_FILE: .*\(not set\)[\s\S]*AGENT_TLS_KEY_FILE: .*\(not set\)[\s\S]*EDGE_ADDRESS: must be an IPv4 address/,
    );
  });
});
