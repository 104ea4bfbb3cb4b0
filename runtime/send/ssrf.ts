import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';

/**
 * SSRF guard: a webhook URL is chosen by whoever registers it, so without a guard the sender would
 * POST into our own network (metadata services, admin ports, databases). Addresses are checked at
 * connect time, after DNS, on the address actually dialled, so DNS rebinding cannot slip through.
 */
const NON_GLOBAL_V4 = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const;
const NON_GLOBAL_V6 = [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const;

const blocked = new BlockList();
for (const [net, prefix] of NON_GLOBAL_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of NON_GLOBAL_V6) blocked.addSubnet(net, prefix, 'ipv6');

export class SsrfError extends Error {
  readonly code = 'ERR_HOOKGEN_SSRF';
}

export interface AddressPolicy {
  /** Refuse non-global addresses (default true). */
  blockPrivateAddresses?: boolean;
  /** Addresses or CIDR ranges let through anyway (`'127.0.0.1'`, `'10.1.0.0/16'`, `'::1'`). */
  allowPrivateAddresses?: readonly string[];
}

/** An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is the IPv4 address it maps. */
function unmap(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function compileAddressPolicy(policy: AddressPolicy = {}): (address: string) => string | undefined {
  if (policy.blockPrivateAddresses === false) return () => undefined;
  const allowed = new BlockList();
  for (const entry of policy.allowPrivateAddresses ?? []) {
    const [net, bits] = entry.split('/');
    const family = isIP(net!) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(net!)) throw new Error(`allowPrivateAddresses: \`${entry}\` is not an IP address or CIDR range`);
    if (bits === undefined) allowed.addAddress(net!, family);
    else allowed.addSubnet(net!, Number(bits), family);
  }
  return (raw) => {
    const { address, family } = unmap(raw);
    if (!blocked.check(address, family) || allowed.check(address, family) || allowed.check(raw, isIP(raw) === 6 ? 'ipv6' : 'ipv4')) return undefined;
    return `refused to connect to ${raw}: not a public address (SSRF guard; allow it with allowPrivateAddresses)`;
  };
}

/** A `lookup` for net/tls.connect that drops refused addresses and fails when none is left. */
function guardedLookup(refuse: (address: string) => string | undefined): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const allowed = addresses.filter((a) => !refuse(a.address));
      if (allowed.length === 0) return callback(new SsrfError(`${hostname}: ${refuse(addresses[0]?.address ?? '') ?? 'no address'}`));
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  }) as LookupFunction;
}

/** An undici connector that applies the policy to IP literals directly and to names after DNS. */
export function guardedConnector(policy: AddressPolicy, connectTimeoutMs: number): buildConnector.connector {
  const refuse = compileAddressPolicy(policy);
  const connect = buildConnector({ timeout: connectTimeoutMs, lookup: guardedLookup(refuse) } as buildConnector.BuildOptions);
  return (options, callback) => {
    // net.connect skips `lookup` for IP literals, so those are checked here.
    const reason = isIP(options.hostname) ? refuse(options.hostname) : undefined;
    if (reason) {
      callback(new SsrfError(reason), null);
      return;
    }
    connect(options, callback);
  };
}
