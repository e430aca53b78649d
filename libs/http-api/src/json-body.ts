export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A response body that is JSON already, in bytes (a relayed query answer): sent as is with the JSON content type,
 * neither decoded into a string nor serialized again.
 */
export class JsonBody {
  constructor(readonly bytes: Buffer) {}
}
