import { NextResponse, type NextRequest } from 'next/server';

/**
 * The console and the API share one origin: `/v1/*` and `/docs` go to the gateway, so the browser sends the
 * httpOnly session cookie with every API call and no CORS is involved. This runs per request (unlike
 * `rewrites` in next.config, which are fixed at build time), so GATEWAY_URL is read when the console starts.
 */
export function proxy(request: NextRequest) {
  const gatewayUrl = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
  const target = new URL(`${request.nextUrl.pathname}${request.nextUrl.search}`, gatewayUrl);
  if (request.nextUrl.pathname !== '/v1/events') return NextResponse.rewrite(target);
  // Next.js compresses responses the client accepts compressed, which holds server-sent events back until a
  // buffer fills; without Accept-Encoding each event is passed on the moment it arrives.
  const headers = new Headers(request.headers);
  headers.delete('accept-encoding');
  return NextResponse.rewrite(target, { request: { headers } });
}

export const config = { matcher: ['/v1/:path*', '/docs'] };
