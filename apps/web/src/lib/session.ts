/**
 * The session as server components see it: who is calling, the workspace they act in, and which API routes
 * their role allows there. Server-only (it reads the request's cookies and the runtime route contracts).
 */
import { apiRoutes, type MeResponse, type SignupPolicy } from '@platform/contracts';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { createApiClient, settle, type ApiClient, type RouteName, type Settled } from './api';
import { SESSION_COOKIE, WORKSPACE_COOKIE } from './cookies';

export function gatewayUrl(): string {
  return process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
}

/** A client that calls the gateway directly with the caller's session cookie. */
async function clientFor(workspaceId: string | undefined): Promise<ApiClient> {
  const session = (await cookies()).get(SESSION_COOKIE)?.value;
  return createApiClient({
    baseUrl: gatewayUrl(),
    workspaceId,
    headers: session ? { cookie: `${SESSION_COOKIE}=${session}` } : {},
  });
}

export interface Session {
  readonly me: MeResponse;
  /** Routes the caller may call in this workspace, from each route's required scope. */
  readonly allowedRoutes: readonly RouteName[];
}

export function routesAllowedFor(scopes: MeResponse['credential']['scopes']): RouteName[] {
  return (Object.keys(apiRoutes) as RouteName[]).filter((name) => {
    const auth = apiRoutes[name].auth;
    return auth === 'public' || scopes.includes(auth);
  });
}

/**
 * `GET /v1/me` once per request (the layout and the page share it). The workspace chosen in the switcher is
 * used when the caller still belongs to it; otherwise the session's own. Without a valid session this
 * redirects to the login page.
 */
export const getSession = cache(async (): Promise<Settled<Session>> => {
  const jar = await cookies();
  if (!jar.get(SESSION_COOKIE)) redirect('/login');
  const chosen = jar.get(WORKSPACE_COOKIE)?.value;
  let me = await settle((await clientFor(chosen)).me());
  if (!me.ok && me.error.code === 'not_found' && chosen) me = await settle((await clientFor(undefined)).me());
  if (!me.ok) {
    if (me.error.code === 'unauthorized') redirect('/login?expired=1');
    return me;
  }
  return { ok: true, value: { me: me.value, allowedRoutes: routesAllowedFor(me.value.credential.scopes) } };
});

/** The API client for a server component, acting in the session's workspace. */
export async function serverApi(): Promise<ApiClient> {
  const session = await getSession();
  return clientFor(session.ok ? session.value.me.workspace.id : undefined);
}

/** Whether the session may call `route`; false when the session could not be loaded. */
export async function mayCall(route: RouteName): Promise<boolean> {
  const session = await getSession();
  return session.ok && session.value.allowedRoutes.includes(route);
}

/** For the login and signup pages: whether the browser already holds a session that works. */
export async function hasValidSession(): Promise<boolean> {
  if (!(await cookies()).get(SESSION_COOKIE)) return false;
  const me = await settle((await clientFor(undefined)).me());
  return me.ok;
}

/**
 * Who may sign up on this instance, for the signup page; undefined when the gateway did not say (the form then
 * shows, and the API's answer to it says what is wrong). Sent on behalf of the browser's address, which the
 * console put in X-Forwarded-For: the gateway rate-limits public routes per address.
 */
export async function signupPolicy(): Promise<SignupPolicy | undefined> {
  const forwardedFor = (await headers()).get('x-forwarded-for');
  const api = createApiClient({
    baseUrl: gatewayUrl(),
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
  const policy = await settle(api.signupPolicy());
  return policy.ok ? policy.value : undefined;
}
