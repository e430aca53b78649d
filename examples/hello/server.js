// The sample app of the platform's demo: a tiny HTTP server with a health check, configured by environment.
const http = require('node:http');

const version = process.env.VERSION || 'v1';
const greeting = process.env.GREETING || 'Hello from the platform';
const healthy = process.env.HEALTHY !== 'false';

const page = (host) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${greeting}</title>
<style>body{font:18px/1.5 system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;color:#1f2328}main{text-align:center}code{background:#f6f8fa;padding:2px 6px;border-radius:4px}</style></head>
<body><main><h1>${greeting}</h1><p>version <code>${version}</code>, served for <code>${host}</code></p></main></body></html>`;

const server = http.createServer((request, response) => {
  if (request.url === '/health') {
    response.statusCode = healthy ? 200 : 500;
    response.end(healthy ? 'ok' : 'unhealthy');
    return;
  }
  if ((request.headers.accept || '').includes('text/html')) {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(page(request.headers.host));
    return;
  }
  response.setHeader('content-type', 'text/plain; charset=utf-8');
  response.end(`${version} ${request.headers.host}\n`);
});
server.keepAliveTimeout = 65_000;
const port = Number(process.env.PORT || 3000);
server.listen(port, () => console.log(`hello ${version} listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
