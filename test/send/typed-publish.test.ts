import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { spec as standardSpec } from '../../generated/standard-webhooks/spec.js';
import { createSender, defineProvider } from '../../runtime/index.js';
import { makeStore, type StoreFixture } from './support/stores.js';

/** A user's own events, as a provider spec generated from their YAML would type them. */
interface MyEvents {
  'invoice.paid': { invoiceId: string; amount: number };
  'user.created': { userId: string };
}
const myEvents = defineProvider<MyEvents>({ ...standardSpec, id: 'my-app', name: 'My app', events: ['invoice.paid', 'user.created'] });

describe('publish typed by the spec’s event map', () => {
  let fx: StoreFixture;
  beforeEach(async () => {
    fx = await makeStore('sqlite');
  });
  afterEach(async () => fx.cleanup());

  it('accepts the spec’s events with their payloads, and refuses others at compile time and at run time', async () => {
    const sender = createSender<typeof myEvents>({ store: fx.store, spec: myEvents });
    await sender.subscriptions.create({ url: 'https://example.com/hook' });
    expect((await sender.publish('invoice.paid', { invoiceId: 'in_1', amount: 5 })).deliveries).toBe(1);
    expectTypeOf(sender.publish<'user.created'>).parameter(1).toEqualTypeOf<{ userId: string }>();

    const compileErrors = async () => {
      // @ts-expect-error: not an event of the spec
      await sender.publish('invoice.voided', { invoiceId: 'x', amount: 1 });
      // @ts-expect-error: wrong payload shape
      await sender.publish('invoice.paid', { invoiceId: 'x' });
      // @ts-expect-error: payload of another event
      await sender.publish('user.created', { invoiceId: 'x', amount: 1 });
    };
    await expect(compileErrors()).rejects.toThrow(/not an event of My app/);
  });

  it('without a spec, any event name and payload are accepted', async () => {
    const sender = createSender({ store: fx.store });
    expectTypeOf(sender.publish).parameter(0).toEqualTypeOf<string>();
    expect((await sender.publish('anything.at.all', [1, 2, 3])).duplicate).toBe(false);
  });
});
