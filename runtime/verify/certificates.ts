import { X509Certificate, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { CertificateRule } from '../spec/types.js';
import { reject, type Rejection } from './errors.js';
import type { CertificateKeySource, CertificateOptions } from '../crypto/contract.js';

const MAX_CERTIFICATE_BYTES = 64 * 1024;

/**
 * Public keys from certificates named by requests (PayPal's `PAYPAL-CERT-URL`). A URL is fetched only
 * over HTTPS from the spec's hosts, without redirects; the chain it serves must lead to a trusted root,
 * be valid now and be issued for the spec's subject. A good key is cached by URL; a failed download is
 * not, so a passing network error does not stick.
 */
export class CertificateKeys implements CertificateKeySource {
  private readonly cache = new Map<string, Promise<TrustedKey>>();
  private readonly roots: X509Certificate[];

  constructor(private readonly options: CertificateOptions = {}) {
    this.roots = (options.trustedCertificates ?? rootCertificates).map((pem) => new X509Certificate(pem));
  }

  async key(rule: CertificateRule, url: string, nowMs: number): Promise<KeyObject | Rejection> {
    const refused = checkUrl(rule, url);
    if (refused) return refused;
    let pending = this.cache.get(url);
    if (!pending) {
      pending = this.download(rule, url, nowMs);
      this.cache.set(url, pending);
      pending.catch(() => this.cache.delete(url));
    }
    let trusted: TrustedKey;
    try {
      trusted = await pending;
    } catch (error) {
      return reject('untrusted_key', `certificate ${url}: ${(error as Error).message}`);
    }
    // Checked at every use, not only at download: a cached certificate expires like any other.
    if (nowMs < trusted.notBefore || nowMs > trusted.notAfter) return reject('untrusted_key', `certificate ${url} is not valid now`);
    return trusted.key;
  }

  private async download(rule: CertificateRule, url: string, nowMs: number): Promise<TrustedKey> {
    const fetcher = this.options.fetch ?? (globalThis.fetch as unknown as NonNullable<CertificateOptions['fetch']>);
    const response = await fetcher(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000), redirect: 'error' });
    if (!response.ok) throw new Error(`download answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_CERTIFICATE_BYTES) throw new Error('download is larger than a certificate chain');
    const chain = (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
    const leaf = chain[0];
    if (!leaf) throw new Error('no PEM certificate in the download');
    for (const cert of chain) {
      if (Date.parse(cert.validFrom) > nowMs || Date.parse(cert.validTo) < nowMs) throw new Error(`${cert.subject.replaceAll('\n', ', ')} is not valid now`);
    }
    if (rule.subject && leaf.checkHost(rule.subject) === undefined) throw new Error(`it is not issued for ${rule.subject}`);
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey)) throw new Error('its chain is broken');
    }
    const top = chain[chain.length - 1]!;
    const trusted = this.roots.some((root) => top.fingerprint256 === root.fingerprint256 || (top.checkIssued(root) && top.verify(root.publicKey)));
    if (!trusted) throw new Error('its chain does not lead to a trusted root');
    return {
      key: leaf.publicKey,
      notBefore: Math.max(...chain.map((c) => Date.parse(c.validFrom))),
      notAfter: Math.min(...chain.map((c) => Date.parse(c.validTo))),
    };
  }
}

/** A verified certificate's key and the window in which every certificate of its chain is valid. */
interface TrustedKey {
  key: KeyObject;
  notBefore: number;
  notAfter: number;
}

function checkUrl(rule: CertificateRule, url: string): Rejection | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return reject('untrusted_key', `the certificate URL is not a URL`);
  }
  const host = parsed.hostname.toLowerCase();
  const allowed = rule.hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) && host.length > h.length - 1 : host === h.toLowerCase()));
  if (parsed.protocol !== 'https:' || !allowed || parsed.username || parsed.password || (parsed.port && parsed.port !== '443')) {
    return reject('untrusted_key', `the certificate URL ${parsed.protocol}//${host} is not one this provider uses (${rule.hosts.join(', ')}, over https)`);
  }
  return undefined;
}
