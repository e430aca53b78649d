import { randomUUID } from 'node:crypto';
import { Controller, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { defineCommand, defineQuery, DomainError, type CommandEnvelope } from '@platform/contracts';
import { testServices, uniqueName } from '@platform/testing';
import { of, type Observable } from 'rxjs';
import { z } from 'zod';
import type { Bus } from '../bus';
import type { CommandHandled } from '../command-consumer';
import { DeadLetterHeaders } from '../dead-letters';
import { encodeJson } from '../json';
import {
  connectTestBus,
  deleteStreams,
  eventually,
  storedMessages,
  testEvent,
  testLogger,
  testMetadata,
} from '../test-support';
import { JetStreamCommandContext } from './contexts';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from './decorators';
import { JetStreamTransport } from './jetstream-transport';

jest.setTimeout(30_000);

const Order = z.strictObject({ orderId: z.uuid(), sku: z.string(), quantity: z.int().positive() });
const PlaceOrder = defineCommand('shop', 'PlaceOrder', Order);
const CancelOrder = defineCommand('shop', 'CancelOrder', z.strictObject({ orderId: z.uuid() }));
const GetOrder = defineQuery('shop', 'GetOrder', z.strictObject({ orderId: z.uuid() }), Order);

@Injectable()
class Orders {
  readonly placed = new Map<string, z.infer<typeof Order>>();
  readonly deliveries: number[] = [];
}

@Controller()
class OrdersController {
  constructor(private readonly orders: Orders) {}

  @OnCommand(PlaceOrder)
  async place(
    @Payload() command: CommandMessage<typeof PlaceOrder>,
    @Ctx() context: JetStreamCommandContext,
  ): Promise<CommandHandled> {
    this.orders.deliveries.push(context.getDelivery().deliveryCount);
    if (this.orders.placed.has(command.data.orderId)) {
      throw new DomainError('conflict', `order ${command.data.orderId} exists`);
    }
    this.orders.placed.set(command.data.orderId, command.data);
    return { eventIds: [command.commandId] };
  }

  @OnQuery(GetOrder)
  get(@Payload() request: QueryMessage<typeof GetOrder>): Observable<z.infer<typeof Order>> {
    const order = this.orders.placed.get(request.params.orderId);
    if (!order) throw new DomainError('not_found', `order ${request.params.orderId} not found`);
    return of(order);
  }
}

@Module({ controllers: [OrdersController], providers: [Orders] })
class ShopModule {}

const prefix = uniqueName('bus-nest');
let client: Bus;
let transport: JetStreamTransport;
let app: INestMicroservice;

beforeAll(async () => {
  client = await connectTestBus(prefix);
  transport = new JetStreamTransport({
    servers: testServices.natsUrl,
    prefix,
    name: 'shop-test',
    logger: testLogger,
    context: 'shop',
    commands: { ackWaitMs: 2000, retryDelayMs: () => 50 },
  });
  app = await NestFactory.createMicroservice(ShopModule, { strategy: transport, logger: false });
  await app.listen();
});

afterAll(async () => {
  await app.close();
  await deleteStreams(client);
  await client.close();
});

function order(): z.infer<typeof Order> {
  return { orderId: randomUUID(), sku: 'sku-1', quantity: 2 };
}

async function outcomeOf(send: (commandId: string) => Promise<unknown>) {
  const commandId = randomUUID();
  const watch = client.watchCommandOutcome(commandId, { timeoutMs: 10_000 });
  await send(commandId);
  return watch.outcome();
}

it('handles a command with its @OnCommand handler and answers a query with its @OnQuery handler', async () => {
  const placed = order();

  const outcome = await outcomeOf((commandId) => client.sendCommand(PlaceOrder, placed, testMetadata(), { commandId }));

  expect(outcome).toEqual({ ok: true, commandId: expect.any(String), eventIds: [outcome.commandId] });
  expect(app.get(Orders).deliveries).toEqual([1]);
  await expect(client.query(GetOrder, { workspaceId: 'ws-1', params: { orderId: placed.orderId } })).resolves.toEqual(
    placed,
  );
});

it('carries DomainErrors thrown by handlers to the caller', async () => {
  const placed = order();
  await outcomeOf((commandId) => client.sendCommand(PlaceOrder, placed, testMetadata(), { commandId }));

  const again = await outcomeOf((commandId) => client.sendCommand(PlaceOrder, placed, testMetadata(), { commandId }));
  expect(again).toMatchObject({ ok: false, error: { code: 'conflict', message: `order ${placed.orderId} exists` } });

  const missing = randomUUID();
  await expect(client.query(GetOrder, { workspaceId: 'ws-1', params: { orderId: missing } })).rejects.toMatchObject({
    code: 'not_found',
    message: `order ${missing} not found`,
  });
});

it('dead-letters a command whose data breaks the contract the service knows', async () => {
  const subject = client.subjects.command(PlaceOrder);
  const commandId = randomUUID();
  const watch = client.watchCommandOutcome(commandId);
  // Sent around sendCommand's validation, as a producer on an older contract would.
  await client.jetstream.publish(
    subject,
    encodeJson({
      commandId,
      type: 'PlaceOrder',
      schemaVersion: 1,
      data: { orderId: randomUUID(), sku: 'sku-1', quantity: -1 },
      metadata: testMetadata(),
      issuedAt: new Date().toISOString(),
    }),
    { msgID: commandId },
  );

  expect(await watch.outcome()).toMatchObject({ ok: false, commandId, error: { code: 'invalid_message' } });
  const deadLetter = await eventually(async () => {
    const found = (await storedMessages(client, 'DEADLETTERS')).find(
      (message) => message.subject === client.subjects.deadLetter(subject),
    );
    expect(found).toBeDefined();
    return found;
  });
  expect(deadLetter?.header.get(DeadLetterHeaders.Reason)).toMatch(/^PlaceOrder data breaks its contract: quantity:/);
});

it('dead-letters a command no handler knows', async () => {
  const outcome = await outcomeOf((commandId) =>
    client.sendCommand(CancelOrder, { orderId: randomUUID() }, testMetadata(), { commandId }),
  );

  expect(outcome).toMatchObject({
    ok: false,
    error: { code: 'invalid_message', message: 'no @OnCommand handler for shop.CancelOrder' },
  });
});

it('gives the application its connection for publishing events', async () => {
  const event = testEvent({ context: 'shop', type: 'OrderPlaced' });

  await expect(transport.bus.publishEvents([event])).resolves.toEqual([
    { eventId: event.eventId, duplicate: false, sequence: expect.any(Number) },
  ]);
  expect(transport.unwrap<Bus>()).toBe(transport.bus);
});

it('refuses to start with a handler of another context', async () => {
  const Foreign = defineCommand('billing', 'Charge', z.strictObject({}));
  @Controller()
  class ForeignController {
    @OnCommand(Foreign)
    async charge(@Payload() _command: CommandEnvelope): Promise<void> {}
  }
  @Module({ controllers: [ForeignController] })
  class ForeignModule {}
  const foreign = new JetStreamTransport({
    servers: testServices.natsUrl,
    prefix,
    logger: testLogger,
    context: 'shop',
  });
  const misconfigured = await NestFactory.createMicroservice(ForeignModule, { strategy: foreign, logger: false });

  await expect(misconfigured.listen()).rejects.toThrow(/belongs to context billing/);
  await misconfigured.close();
});

it('can run on a bus the application already holds, and leaves it open when closing', async () => {
  const shared = await connectTestBus(prefix);
  const Ping = defineQuery('pinger', 'Ping', z.strictObject({}), z.literal('pong'));
  @Controller()
  class PingController {
    @OnQuery(Ping)
    ping(): string {
      return 'pong';
    }
  }
  @Module({ controllers: [PingController] })
  class PingModule {}
  const pinger = await NestFactory.createMicroservice(PingModule, {
    strategy: new JetStreamTransport({ bus: shared, context: 'pinger' }),
    logger: false,
  });
  try {
    await pinger.listen();
    await expect(client.query(Ping, { workspaceId: 'ws-1', params: {} })).resolves.toBe('pong');

    await pinger.close();
    expect(shared.connection.isClosed()).toBe(false);
    await expect(client.query(Ping, { workspaceId: 'ws-1', params: {} })).rejects.toMatchObject({
      code: 'unavailable',
    });
  } finally {
    await shared.close();
  }
});

it('stops its consumer and closes the connection it opened when the application closes', async () => {
  await app.close();

  expect(transport.bus.connection.isClosed()).toBe(true);
});
