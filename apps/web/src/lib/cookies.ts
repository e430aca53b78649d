/** The httpOnly cookie the gateway sets at login (the console never reads it in the browser). */
export const SESSION_COOKIE = 'session';
/** The workspace chosen in the switcher; read by the server to send `X-Workspace-Id`. */
export const WORKSPACE_COOKIE = 'workspace';
