/** A response body that is JSON text already: sent as is, with the JSON content type (see `configureHttp`). */
export class JsonText {
  constructor(readonly json: string) {}
}

/** The reply serializer of every route: JsonText as it is, anything else through JSON.stringify as Fastify would. */
export function serializeReply(payload: unknown): string {
  return payload instanceof JsonText ? payload.json : JSON.stringify(payload);
}
