import { DomainError } from '@platform/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { EventFeed, FeedFilter } from './event-feed';
import type { EventHub } from './event-hub';
import { accessOf, stateOf } from '../request-state';
import { SseConnection } from './sse-connection';

export interface EventStreamOptions {
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
  /**
   * Streams one workspace may hold open on this gateway at once, and one user across all their workspaces (a
   * user who makes many workspaces gets no more): one tenant cannot take every connection.
   */
  readonly maxStreamsPerWorkspace: number;
}

/** `GET /v1/events`: checks the resume point while an error can still be a plain response, then streams. */
export class EventStreams {
  constructor(
    private readonly hub: EventHub,
    private readonly feed: EventFeed,
    private readonly options: EventStreamOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Streams the events matching `filter` from now on, until one of `endOn` was sent; `start` runs once the
   * stream listens (so nothing it causes can be missed) and its result is announced as `accepted`.
   */
  async follow(
    request: FastifyRequest,
    reply: FastifyReply,
    filter: FeedFilter,
    endOn: readonly string[],
    start: () => Promise<unknown>,
  ): Promise<void> {
    this.refuseOverLimit(request, filter.workspaceId);
    const connection = this.connectionFor(request, reply, filter, endOn);
    const disconnect = await this.hub.connect(connection);
    connection.onClose(disconnect);
    try {
      connection.announce('accepted', await start());
    } catch (error) {
      disconnect();
      const body =
        error instanceof DomainError ? error.toBody() : { code: 'internal', message: 'starting failed; retry' };
      if (!(error instanceof DomainError))
        this.logger.error({ err: error, requestId: request.platform.requestId }, 'starting a followed command failed');
      connection.fail(body.code, body.message);
    }
  }

  private connectionFor(
    request: FastifyRequest,
    reply: FastifyReply,
    filter: FeedFilter,
    endOn?: readonly string[],
  ): SseConnection {
    const { requestId, reauthorize } = stateOf(request);
    if (!reauthorize)
      throw new Error('an event stream on a public route: the route definition and its handler disagree');
    return new SseConnection(reply, filter, {
      requestId,
      heartbeatMs: this.options.heartbeatMs,
      maxBufferedBytes: this.options.maxBufferedBytes,
      endOn,
      userId: accessOf(request).principal.userId,
      reauthorize,
    });
  }

  private refuseOverLimit(request: FastifyRequest, workspaceId: string): void {
    const limit = this.options.maxStreamsPerWorkspace;
    const open = this.hub.clientsOf(workspaceId);
    if (open >= limit) {
      throw new DomainError(
        'rate_limited',
        `this workspace has ${open} event streams open, the most it may; close one (a console tab, a followed deployment) and retry`,
        [{ openStreams: open, limit }],
      );
    }
    const ofUser = this.hub.clientsOfUser(accessOf(request).principal.userId);
    if (ofUser >= limit) {
      throw new DomainError(
        'rate_limited',
        `you have ${ofUser} event streams open across your workspaces, the most one user may; close one and retry`,
        [{ openStreams: ofUser, limit, per: 'user' }],
      );
    }
  }

  /** Live events; after `Last-Event-ID` when sent (a reconnect resumes exactly), else after the last `replay` ones. */
  async open(request: FastifyRequest, reply: FastifyReply, filter: FeedFilter, replay?: number): Promise<void> {
    const header = request.headers['last-event-id'];
    const lastEventId = typeof header === 'string' && header.trim() ? header.trim() : undefined;
    const afterSequence = lastEventId
      ? await this.feed.sequenceOf(filter.workspaceId, lastEventId)
      : replay
        ? await this.feed.sequenceBeforeLast(filter, replay)
        : undefined;
    // Checked with nothing awaited before the hub registers the stream, so concurrent opens cannot all pass.
    this.refuseOverLimit(request, filter.workspaceId);
    const connection = this.connectionFor(request, reply, filter);
    try {
      const disconnect = await this.hub.connect(connection, afterSequence);
      connection.onClose(disconnect);
      // The client may have gone while its missed events were replayed: then 'close' has fired already.
      if (reply.raw.destroyed) disconnect();
    } catch (error) {
      this.logger.error({ err: error, requestId: request.platform.requestId }, 'replaying missed events failed');
      connection.fail('internal', 'replaying missed events failed; reconnect with the same Last-Event-ID');
    }
  }
}
