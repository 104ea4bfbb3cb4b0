import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { spec as standardSpec } from '../../generated/standard-webhooks/spec.js';
import { createSender, defineProvider, PublishError, type PublishEvent, type Sender } from '../../runtime/index.js';
import { sendApp, type InvoicePaid } from '../fixtures/send-app/generated/send-app/index.js';
import { manualClock, startReceiver, type Receiver } from './support/receiver.js';
import { makeStore, STORE_KINDS, type StoreFixture } from './support/stores.js';

const T0 = 1_800_000_000_000;

/** A user's own events, as a provider spec generated from their YAML would type them. */
interface MyEvents {
  'invoice.paid': { invoiceId: string; amount: number };
  'user.created': { userId: string };
}
const myEvents = defineProvider<MyEvents>({ ...standardSpec, id: 'my-app', name: 'My app', events: ['invoice.paid', 'user.created'] });

describe('sender.publishMany', () => {
  let fx: StoreFixture;
  beforeEach(async () => {
    fx = await makeStore('sqlite');
  });
  afterEach(async () => fx.cleanup());

  it('is typed per element by the spec’s event map: a batch may mix events, each data checked against its own type', async () => {
    const sender = createSender<typeof myEvents>({ store: fx.store, spec: myEvents });
    await sender.subscriptions.create({ url: 'https://example.com/hook', events: ['invoice.*'] });
    const results = await sender.publishMany([
      { type: 'invoice.paid', data: { invoiceId: 'in_1', amount: 5 }, idempotencyKey: 'in_1' },
      { type: 'user.created', data: { userId: 'u1' } },
    ]);
    expect(results.map((r) => [r.message.eventType, r.deliveries, r.duplicate])).toEqual([['invoice.paid', 1, false], ['user.created', 0, false]]);
    expectTypeOf<PublishEvent<typeof myEvents>>().toEqualTypeOf<
      | { type: 'invoice.paid'; data: { invoiceId: string; amount: number }; idempotencyKey?: string; tenant?: string }
      | { type: 'user.created'; data: { userId: string }; idempotencyKey?: string; tenant?: string }
    >();
    // An array built with map keeps its literal types from the call's context.
    const invoices = [{ id: 'in_2', amount: 7 }, { id: 'in_3', amount: 8 }];
    expect(await sender.publishMany(invoices.map((i) => ({ type: 'invoice.paid', data: { invoiceId: i.id, amount: i.amount } })))).toHaveLength(2);

    // Built before the call, an array needs the element type to keep its literal `type`s (else they widen to string).
    const prepared: PublishEvent<typeof myEvents>[] = [{ type: 'user.created', data: { userId: 'u2' } }];
    expect(await sender.publishMany(prepared)).toHaveLength(1);
    const widened = [{ type: 'user.created', data: { userId: 'u3' } }];

    const compileErrors = async () => {
      // @ts-expect-error: `type` widened to string
      await sender.publishMany(widened);
      // @ts-expect-error: not an event of the spec
      await sender.publishMany([{ type: 'invoice.voided', data: { invoiceId: 'x', amount: 1 } }]);
      // @ts-expect-error: wrong payload shape for its type
      await sender.publishMany([{ type: 'invoice.paid', data: { invoiceId: 'x' } }]);
      // @ts-expect-error: the payload of the other event of the batch
      await sender.publishMany([{ type: 'invoice.paid', data: { invoiceId: 'x', amount: 1 } }, { type: 'user.created', data: { invoiceId: 'x', amount: 1 } }]);
    };
    await expect(compileErrors()).rejects.toThrow('events[0]: `invoice.voided` is not an event of My app');
    expect(await fx.store.countDeliveries()).toMatchObject({ pending: 3 });
  });

  it('without a spec, any event names and payloads', async () => {
    const sender = createSender({ store: fx.store });
    await sender.subscriptions.create({ url: 'https://example.com/hook' });
    expectTypeOf<PublishEvent>().toEqualTypeOf<{ type: string; data: unknown; idempotencyKey?: string; tenant?: string }>();
    const results = await sender.publishMany([{ type: 'anything.at.all', data: [1, 2, 3] }, { type: 'other', data: 'text', tenant: 'acme' }]);
    expect(results.map((r) => [r.message.tenant, JSON.parse(r.message.payload).data, r.deliveries])).toEqual([['', [1, 2, 3], 1], ['acme', 'text', 0]]);
    expect(await sender.publishMany([])).toEqual([]);
  });

  describe('refuses the whole batch for one bad event, naming its index, before writing anything', () => {
    let sender: Sender<typeof sendApp>;
    const untyped = () => sender as unknown as Sender;
    beforeEach(async () => {
      sender = createSender({ store: fx.store, spec: sendApp });
      await sender.subscriptions.create({ url: 'https://example.com/hook' });
    });
    const good = (n: number, key?: string) => ({ type: 'invoice.paid' as const, data: { invoiceId: `in_${n}`, amount: n } satisfies InvoicePaid, ...(key ? { idempotencyKey: key } : {}) });

    const refusal = async (events: { type: string; data: unknown }[]) => {
      const error = await untyped().publishMany(events).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(PublishError);
      return error as PublishError;
    };

    it('payload validation by the spec’s JSON Schemas', async () => {
      const error = await refusal([good(1, 'order-1'), good(2), { type: 'invoice.paid', data: { invoiceId: 'in_3', amount: '5' } }, good(4)]);
      expect(error.index).toBe(2);
      expect(error.message).toBe('events[2]: `invoice.paid` does not match its schema in Send App: data/amount: must be number');
      expect(await fx.store.countDeliveries()).toMatchObject({ pending: 0 });
      expect(await fx.store.listDeliveries()).toEqual([]);
      // The idempotency key of the refused batch's first event is still free.
      expect(await sender.publishMany([good(1, 'order-1')])).toMatchObject([{ duplicate: false, deliveries: 1 }]);
    });

    it('unknown event names and malformed types', async () => {
      const unknown = await refusal([good(1), { type: 'invoice.refunded', data: {} }]);
      expect([unknown.index, unknown.message]).toEqual([1, 'events[1]: `invoice.refunded` is not an event of Send App']);
      const noSpec = createSender({ store: fx.store });
      const malformed = await noSpec.publishMany([{ type: 'a.b', data: {} }, { type: 'a.b', data: {} }, { type: 'has space', data: {} }]).then(() => undefined, (e: unknown) => e);
      expect(malformed).toBeInstanceOf(PublishError);
      expect([(malformed as PublishError).index, (malformed as PublishError).message]).toEqual([2, 'events[2]: event type `has space`: use letters, digits, _ - : and dots']);
      const missing = await noSpec.publishMany([{ data: {} } as never]).then(() => undefined, (e: unknown) => e);
      expect((missing as PublishError).message).toBe('events[0]: event type `undefined`: use letters, digits, _ - : and dots');
      expect(await fx.store.listDeliveries()).toEqual([]);
    });

    it('publish itself still throws without an index', async () => {
      const error = await untyped().publish('invoice.paid', { invoiceId: 'in_1' }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(PublishError);
      expect((error as PublishError).index).toBeUndefined();
      expect((error as PublishError).message).toBe("`invoice.paid` does not match its schema in Send App: data: must have required property 'amount'");
    });
  });
});

describe.each(STORE_KINDS)('publishMany delivered by a worker on %s', (kind) => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  beforeEach(async () => {
    fx = await makeStore(kind);
    endpoint = await startReceiver();
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  it('sends every message of a batch to each matching subscription once, with its message id', async () => {
    const sender = createSender({ store: fx.store, clock: manualClock(T0), allowPrivateAddresses: ['127.0.0.1'] });
    await sender.subscriptions.create({ url: `${endpoint.url}/all` });
    await sender.subscriptions.create({ url: `${endpoint.url}/invoices`, events: ['invoice.*'] });
    const results = await sender.publishMany([
      { type: 'invoice.paid', data: { n: 1 }, idempotencyKey: 'k1' },
      { type: 'user.created', data: { n: 2 } },
      { type: 'invoice.paid', data: { n: 3 }, idempotencyKey: 'k1' }, // a duplicate of the first: sent once
      { type: 'invoice.voided', data: { n: 4 } },
    ]);
    expect(results.map((r) => [r.deliveries, r.duplicate])).toEqual([[2, false], [1, false], [0, true], [2, false]]);
    expect(results[2]!.message).toEqual(results[0]!.message);
    const worker = sender.worker();
    expect(await worker.tick()).toBe(5);
    await worker.stop();
    const got = (path: string) => endpoint.requests.filter((r) => r.path === path).map((r) => [r.headers['webhook-id'], JSON.parse(r.body).data.n]).sort();
    const sent = (...indexes: number[]) => indexes.map((i) => [results[i]!.message.id, i + 1]).sort();
    expect(got('/all')).toEqual(sent(0, 1, 3));
    expect(got('/invoices')).toEqual(sent(0, 3));
    expect(await fx.store.countDeliveries()).toMatchObject({ succeeded: 5, pending: 0 });
  });
});
