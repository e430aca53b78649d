import { BaseRpcContext } from '@nestjs/microservices';
import type { CommandDelivery } from '../command-consumer';

/** `@Ctx()` of an `@OnCommand` handler: how the command arrived (a redelivery has deliveryCount > 1). */
export class JetStreamCommandContext extends BaseRpcContext<[CommandDelivery]> {
  getDelivery(): CommandDelivery {
    return this.args[0];
  }
}

/** `@Ctx()` of an `@OnQuery` handler. */
export class NatsQueryContext extends BaseRpcContext<[string]> {
  getSubject(): string {
    return this.args[0];
  }
}
