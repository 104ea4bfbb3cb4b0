import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { generate } from '../../generator/generate.js';
import { createSender, PublishError, type Sender } from '../../runtime/index.js';
import { sendApp, type AnyEvent, type InvoicePaid, type UserCreated } from '../fixtures/send-app/generated/send-app/index.js';
import { validate } from '../fixtures/send-app/generated/send-app/validators.js';
import { makeStore, type StoreFixture } from './support/stores.js';

/**
 * `validators: true` in a spec: the generator compiles the event schemas into standalone code, the
 * generated provider carries it, and `createSender({ spec })` refuses data that does not match.
 * test/fixtures/send-app is a user's own sending spec; its generated module is committed.
 */

const fixture = new URL('../fixtures/send-app/', import.meta.url);

describe('payload validation from the spec’s JSON Schemas', () => {
  let fx: StoreFixture;
  let sender: Sender<typeof sendApp>;
  beforeEach(async () => {
    fx = await makeStore('sqlite');
    sender = createSender({ store: fx.store, spec: sendApp });
    await sender.subscriptions.create({ url: 'https://example.com/hook' });
  });
  afterEach(async () => fx.cleanup());

  const refused = (promise: Promise<unknown>) => expect(promise).rejects.toThrow(PublishError);

  it('publishes data that matches, nested references included', async () => {
    const result = await sender.publish('invoice.paid', { invoiceId: 'in_1', amount: 5, lines: [{ sku: 'a', price: { amount: 5, currency: 'EUR' } }] });
    expect(result.deliveries).toBe(1);
    expect(JSON.parse(result.message.payload)).toMatchObject({ type: 'invoice.paid', data: { invoiceId: 'in_1', amount: 5 } });
    expect((await sender.publish('user.created', { userId: 'u1', email: 'ada@example.com', name: '😀😀😀' })).deliveries).toBe(1);
  });

  it('refuses data that does not match, naming the event, the path and the rule', async () => {
    const wrong = (type: string, data: unknown) => (sender as unknown as Sender).publish(type, data);
    await expect(wrong('invoice.paid', { invoiceId: 'in_1', amount: '5' })).rejects.toThrow('`invoice.paid` does not match its schema in Send App: data/amount: must be number');
    await expect(wrong('invoice.paid', { amount: 5 })).rejects.toThrow("data: must have required property 'invoiceId'");
    await expect(wrong('invoice.paid', { invoiceId: 'x_1', amount: 5 })).rejects.toThrow('data/invoiceId: must match pattern "^in_"');
    await expect(wrong('invoice.paid', { invoiceId: 'in_1', amount: 5, lines: [{ sku: 'a', price: { amount: 5, currency: 'GBP' } }] }))
      .rejects.toThrow('data/lines/0/price/currency: must be equal to one of the allowed values: "EUR", "USD"');
    await expect(wrong('invoice.voided', { invoiceId: 'in_1', refund: { amount: -1, currency: 'EUR' } })).rejects.toThrow('data/refund/amount: must be >= 0');
    await expect(wrong('user.created', { userId: 'u1', email: 'ada@example.com', role: 'admin' })).rejects.toThrow('data: must NOT have additional properties (`role`)');
    await expect(wrong('user.created', { userId: 'u1', email: 'not an address' })).rejects.toThrow('data/email: must match format "email"');
    // maxLength counts code points, as JSON Schema says: four emoji are four characters, not eight.
    await expect(wrong('user.created', { userId: 'u1', email: 'ada@example.com', name: '😀😀😀😀' })).rejects.toThrow('data/name: must NOT have more than 3 characters');
    await expect(wrong('invoice.paid', null)).rejects.toThrow('data: must be object');
  });

  it('stores nothing when it refuses: the idempotency key is still free afterwards', async () => {
    await refused((sender as unknown as Sender).publish('invoice.paid', { invoiceId: 'in_1' }, { idempotencyKey: 'order-1' }));
    const ok = await sender.publish('invoice.paid', { invoiceId: 'in_1', amount: 1 }, { idempotencyKey: 'order-1' });
    expect(ok.duplicate).toBe(false);
  });

  it('still refuses event names the spec does not list; checks events without a schema of their own against `payload`', async () => {
    await expect((sender as unknown as Sender).publish('invoice.refunded', { invoiceId: 'in_1', amount: 1 })).rejects.toThrow(/`invoice.refunded` is not an event of Send App/);
    expect((await sender.publish('user.deleted', { anything: ['goes'] })).deliveries).toBe(1);
    await expect((sender as unknown as Sender).publish('user.deleted', 42)).rejects.toThrow('`user.deleted` does not match its schema in Send App: data: must be object');
    expect(validate('user.deleted', { userId: 'u1' })).toBeUndefined();
  });

  it('keeps publish typed by the event map', () => {
    expectTypeOf(sender.publish<'invoice.paid'>).parameter(1).toEqualTypeOf<InvoicePaid>();
    expectTypeOf(sender.publish<'user.created'>).parameter(1).toEqualTypeOf<UserCreated>();
    expectTypeOf(sender.publish<'user.deleted'>).parameter(1).toEqualTypeOf<AnyEvent>();
    expectTypeOf(sendApp.validate).toEqualTypeOf<((key: string, data: unknown) => string | undefined) | undefined>();
    const compileErrors = () => {
      // @ts-expect-error: not an event of the spec
      void sender.publish('invoice.refunded', { invoiceId: 'in_1', amount: 1 });
      // @ts-expect-error: amount is a number
      void sender.publish('invoice.paid', { invoiceId: 'in_1', amount: '5' });
    };
    expect(compileErrors).toBeTypeOf('function');
  });

  it('the generated validators import nothing: the deployed runtime needs no ajv', () => {
    const text = readFileSync(new URL('generated/send-app/validators.ts', fixture), 'utf8');
    expect(text).not.toMatch(/\brequire\(|^\s*import\s/m);
    const runtimeFiles = readdirSync(new URL('../../runtime/', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const file of runtimeFiles) expect(readFileSync(new URL(`../../runtime/${file}`, import.meta.url), 'utf8'), file).not.toMatch(/from '(ajv|ajv-formats)(\/[^']*)?'/);
  });

  it('the committed fixture module is what the generator writes for its spec', async () => {
    const result = await generate({
      specFiles: [new URL('provider.yaml', fixture).pathname],
      outDir: new URL('generated', fixture).pathname,
      runtimeImport: '../../../../../runtime/provider.js',
      check: true,
    });
    expect(result.stale, 'regenerate: node bin/run.js generate test/fixtures/send-app/provider.yaml --out test/fixtures/send-app/generated --runtime-import ../../../../../runtime/provider.js').toEqual([]);
    expect(result.unchanged.map((f) => f.split('/').pop()).sort()).toEqual(['events.ts', 'index.ts', 'spec.ts', 'validators.ts']);
  });
});
