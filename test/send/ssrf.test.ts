import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender } from '../../runtime/index.js';
import { compileAddressPolicy } from '../../runtime/send/ssrf.js';
import { manualClock, startReceiver, type Receiver } from './support/receiver.js';
import { makeStore, type StoreFixture } from './support/stores.js';

describe('SSRF guard: address policy', () => {
  const refuse = compileAddressPolicy();
  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1',
  ])('refuses %s', (address) => expect(refuse(address)).toMatch(/not a public address/));
  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111'])('lets %s through', (address) => expect(refuse(address)).toBeUndefined());
  it('lets allow-listed addresses and ranges through', () => {
    const allow = compileAddressPolicy({ allowPrivateAddresses: ['127.0.0.1', '10.1.0.0/16', '::1'] });
    expect([allow('127.0.0.1'), allow('10.1.2.3'), allow('::1'), allow('::ffff:127.0.0.1')]).toEqual([undefined, undefined, undefined, undefined]);
    expect(allow('10.2.0.1')).toBeDefined();
    expect(allow('127.0.0.2')).toBeDefined();
  });
  it('can be turned off', () => expect(compileAddressPolicy({ blockPrivateAddresses: false })('127.0.0.1')).toBeUndefined());
});

describe('SSRF guard: at connect time, after DNS', () => {
  let fx: StoreFixture;
  let endpoint: Receiver;
  beforeEach(async () => {
    fx = await makeStore('sqlite');
    endpoint = await startReceiver();
  });
  afterEach(async () => {
    await endpoint.close();
    await fx.cleanup();
  });

  const attemptTo = async (url: string, allowPrivateAddresses?: string[]) => {
    const sender = createSender({ store: fx.store, clock: manualClock(), allowPrivateAddresses });
    const sub = await sender.subscriptions.create({ url });
    await sender.publish('a.b', {});
    const worker = sender.worker();
    await worker.tick();
    await worker.stop();
    const [d] = await fx.store.listDeliveries({ subscriptionId: sub.id });
    await sender.subscriptions.delete(sub.id); // the next call's publish must not reach it
    return (await fx.store.listAttempts(d!.id))[0]!;
  };

  it('refuses loopback by default, and the endpoint sees nothing', async () => {
    expect(await attemptTo(endpoint.url)).toMatchObject({ status: null, errorClass: 'ssrf' });
    expect(endpoint.requests).toEqual([]);
  });

  it('refuses a host name that resolves to loopback (localhost)', async () => {
    const attempt = await attemptTo(`http://localhost:${endpoint.port}/`);
    expect(attempt).toMatchObject({ status: null, errorClass: 'ssrf' });
    expect(attempt.error).toMatch(/localhost/);
    expect(endpoint.requests).toEqual([]);
  });

  it.each(['http://10.0.0.1/', 'http://192.168.0.1/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9/', 'http://[fd00::1]/', 'https://[::ffff:7f00:1]/'])(
    'refuses %s before connecting',
    async (url) => expect(await attemptTo(url)).toMatchObject({ errorClass: 'ssrf' }),
  );

  it('delivers to loopback when allowed, by address or via localhost', async () => {
    expect(await attemptTo(endpoint.url, ['127.0.0.1'])).toMatchObject({ status: 204, errorClass: null });
    expect(await attemptTo(`http://localhost:${endpoint.port}/`, ['127.0.0.1', '::1'])).toMatchObject({ status: 204 });
    expect(endpoint.requests).toHaveLength(2);
  });
});
