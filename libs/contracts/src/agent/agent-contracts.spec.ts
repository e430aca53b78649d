import {
  AGENT_VERSION,
  agentVersionStatus,
  ApplyRoutesRequestSchema,
  deployTag,
  EXPECTED_AGENT_VERSION,
  RunContainerRequestSchema,
} from '../index';

describe('agent version', () => {
  it('is what the platform expects, and older or newer agents are told apart', () => {
    expect(EXPECTED_AGENT_VERSION).toBe(AGENT_VERSION);
    expect(agentVersionStatus(AGENT_VERSION)).toBe('current');
    expect(agentVersionStatus('0.0.9', '0.1.0')).toBe('outdated');
    expect(agentVersionStatus('0.1.1', '0.1.0')).toBe('newer');
    expect(agentVersionStatus('1.0.0', '0.9.9')).toBe('newer');
    expect(agentVersionStatus('garbage')).toBe('unknown');
  });
});

describe('agent contracts', () => {
  it('tags deployments with the first 8 characters of their id', () => {
    expect(deployTag('3f2b9c1e-0000-4000-8000-000000000000')).toBe('deploy_3f2b9c1e');
  });

  it('refuses hostnames and upstreams that could inject nginx directives', () => {
    const route = (hostname: string, host = '127.0.0.1') => ({ routes: [{ hostname, upstream: { host, port: 80 } }] });
    expect(ApplyRoutesRequestSchema.safeParse(route('app.localhost')).success).toBe(true);
    expect(ApplyRoutesRequestSchema.safeParse(route('App.Example.COM')).data?.routes[0].hostname).toBe(
      'app.example.com',
    );
    expect(ApplyRoutesRequestSchema.safeParse(route('a.com; include /etc/passwd')).success).toBe(false);
    expect(ApplyRoutesRequestSchema.safeParse(route('a.com', '127.0.0.1;}')).success).toBe(false);
    expect(
      ApplyRoutesRequestSchema.safeParse({ routes: [...route('a.com').routes, ...route('a.com').routes] }).success,
    ).toBe(false);
  });

  it('refuses environment names and labels the agent owns', () => {
    const base = { name: 'web-1', image: 'web:deploy_abc', service: 'web', port: 3000 };
    expect(RunContainerRequestSchema.safeParse(base).success).toBe(true);
    expect(RunContainerRequestSchema.safeParse({ ...base, env: { 'A=B': 'x' } }).success).toBe(false);
    expect(RunContainerRequestSchema.safeParse({ ...base, labels: { 'io.platform.managed': 'false' } }).success).toBe(
      false,
    );
    expect(RunContainerRequestSchema.safeParse({ ...base, name: '-rm' }).success).toBe(false);
  });
});
