import { nginxLayout, renderMainConfig, renderRoutesConfig, serverNamesBucketSize } from './nginx-config';

const listen = { address: '127.0.0.2', httpPort: 80, httpsPort: 443 };
const layout = nginxLayout('/srv/agent/nginx');

describe('nginx configuration', () => {
  it('keeps everything under the prefix and answers unknown hosts with 404', () => {
    const main = renderMainConfig(layout, listen, {
      workers: 1,
      routesFile: layout.routesConfig,
      serverNamesBucketSize: 128,
    });
    expect(main).toContain('pid /srv/agent/nginx/nginx.pid;');
    expect(main).toContain('server_names_hash_bucket_size 128;');
    expect(main).toMatch(/listen 127\.0\.0\.2:80 default_server;\s+server_name _;/);
    expect(main).toContain('include /srv/agent/nginx/conf/challenges.conf;');
    expect(main).toContain('return 200 $platform_acme_answer;');
    expect(main).toMatch(/location \/ \{\s+return 404;/);
    expect(main).toContain('include /srv/agent/nginx/conf/routes.conf;');
  });

  it('proxies a plain route to its upstream with the forwarding headers', () => {
    const routes = renderRoutesConfig(
      [{ hostname: 'app.localhost', upstream: { host: '127.0.0.1', port: 49000 }, maxBodyMb: 25 }],
      listen,
    );
    expect(routes).toMatch(/upstream route_[0-9a-f]{16} \{\n {2}server 127\.0\.0\.1:49000 max_fails=0;/);
    expect(routes).toMatch(/listen 127\.0\.0\.2:80;\n {2}server_name app\.localhost;\n {2}client_max_body_size 25m;/);
    expect(routes).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    expect(routes).not.toContain('ssl');
  });

  it('serves a route with a certificate over HTTPS and redirects HTTP to it, with the port when it is not 443', () => {
    const tls = { certificateFile: '/c.crt', keyFile: '/c.key' };
    const route = { hostname: 'secure.example.com', upstream: { host: '127.0.0.1', port: 49001 }, maxBodyMb: 100, tls };
    const routes = renderRoutesConfig([route], listen);
    expect(routes).toContain('return 301 https://$host$request_uri;');
    // HTTP/2, HSTS, and the ACME challenge answered over plain HTTP rather than redirected (renewals need it).
    expect(routes).toContain('listen 127.0.0.2:443 ssl http2;');
    expect(routes).toContain('add_header Strict-Transport-Security "max-age=31536000" always;');
    expect(routes).toMatch(
      /listen 127\.0\.0\.2:80;\n {2}server_name secure\.example\.com;\n {2}location \^~ \/\.well-known\/acme-challenge\/ \{\n/,
    );
    expect(routes).toContain('  return 200 $platform_acme_answer;');
    const local = renderRoutesConfig([route], { ...listen, httpsPort: 8443 });
    expect(local).toContain('return 301 https://$host:8443$request_uri;');
    expect(local).toMatch(
      /listen 127\.0\.0\.2:8443 ssl http2;\n {2}server_name secure\.example\.com;\n {2}ssl_certificate \/c\.crt;\n {2}ssl_certificate_key \/c\.key;/,
    );
  });

  it('sizes the server names hash for the longest hostname', () => {
    expect(serverNamesBucketSize([])).toBe(128);
    expect(serverNamesBucketSize(['a'.repeat(100)])).toBe(128);
    expect(serverNamesBucketSize(['a'.repeat(101)])).toBe(256);
    expect(serverNamesBucketSize(['a'.repeat(253)])).toBe(512);
  });
});
