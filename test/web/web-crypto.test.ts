import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CryptoModule } from '../../runtime/crypto/contract.js';
import * as node from '../../runtime/crypto/node.js';
import * as web from '../../runtime/crypto/web.js';
import type { Algorithm, DigestEncoding, KeyDecoding } from '../../runtime/spec/types.js';

/**
 * The Web Crypto module against the node one: the same answers for the same inputs, byte for byte,
 * on random inputs and on the edge cases each encoding has. Both are typed as the one contract.
 */
const nodeModule: CryptoModule = node;
const webModule: CryptoModule = web;

const random = (max: number) => randomBytes(Math.floor(Math.random() * max));
const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

describe('byte encodings without Buffer', () => {
  it('encodes hex and base64 as Buffer does', () => {
    for (const bytes of [Buffer.alloc(0), ...times(200, () => random(70))]) {
      expect(webModule.encodeBytes(bytes, 'hex')).toBe(bytes.toString('hex'));
      expect(webModule.encodeBytes(bytes, 'base64')).toBe(bytes.toString('base64'));
    }
  });

  it('decodes signature candidates exactly as the node module does, canonical spellings only', () => {
    const encodings: DigestEncoding[] = ['hex', 'hex-any-case', 'base64', 'base64url', 'utf8'];
    const samples = times(100, () => random(40)).flatMap((b) => [b.toString('hex'), b.toString('base64'), b.toString('base64url')]);
    // The spellings lenient decoders accept: upper case, missing padding, stray characters, other unused bits.
    const spellings = [
      '', 'A', 'AB', 'ABC', 'ABCD', 'AB==', 'AB=', 'AQ==', 'AR==', 'AQ', 'a+/b', 'a-_b', 'ab c', 'zz', 'DEADBEEF', 'deadbeef', 'deadbee', '0x00',
      ...samples, ...samples.map((s) => s.toUpperCase()), ...samples.map((s) => s.replace(/=+$/, '')), ...samples.map((s) => `${s}=`),
    ];
    for (const encoding of encodings) {
      for (const text of spellings) {
        const expected = nodeModule.decodeDigest(text, encoding);
        const actual = webModule.decodeDigest(text, encoding);
        expect(actual && Buffer.from(actual).toString('hex'), `${encoding} ${JSON.stringify(text)}`).toBe(expected && Buffer.from(expected).toString('hex'));
      }
    }
  });

  it('decodes UTF-8 as Buffer does: invalid sequences become U+FFFD, a byte order mark stays', () => {
    const cases = [Buffer.from([0xef, 0xbb, 0xbf, 0x41]), Buffer.from([0xc3]), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from([0xed, 0xa0, 0x80]), ...times(300, () => random(20))];
    for (const bytes of cases) expect(webModule.utf8Text(bytes)).toBe(nodeModule.utf8Text(bytes));
  });

  it('counts UTF-8 lengths and latin1 bytes as Buffer does, lone surrogates included', () => {
    const texts = ['', 'a', 'é', '€', '😀', '\ud800', '\udc00x', 'a\ud83d', '\ud83d\ude00\ud83d', ...times(300, () => String.fromCharCode(...times(10, () => Math.floor(Math.random() * 0x10000))))];
    for (const text of texts) {
      expect(webModule.utf8Length(text), JSON.stringify(text)).toBe(nodeModule.utf8Length(text));
      expect(webModule.utf8Length(text)).toBe(new TextEncoder().encode(text).length);
      expect(Buffer.from(webModule.latin1Bytes(text))).toEqual(Buffer.from(nodeModule.latin1Bytes(text)));
    }
  });
});

describe('template hashes (plain-JS SHA-256)', () => {
  it('matches node:crypto around every block boundary and for long inputs', () => {
    const lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100_000];
    for (const length of lengths) {
      const data = randomBytes(length);
      expect(Buffer.from(webModule.sha256(data)).toString('hex'), `length ${length}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
    expect(Buffer.from(webModule.sha256('abc')).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches node:crypto HMAC-SHA256 for short, block-sized and long keys (RFC 2104 key hashing)', () => {
    for (const keyLength of [1, 32, 63, 64, 65, 200]) {
      const key = randomBytes(keyLength);
      const data = random(300);
      expect(Buffer.from(webModule.hmacSha256(key, data)).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
    }
    expect(Buffer.from(webModule.hmacSha256('shh', 'msg_1')).toString('hex')).toBe(createHmac('sha256', 'shh').update('msg_1').digest('hex'));
  });
});

describe('keys', () => {
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecOtherCurve = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (k: typeof ed) => k.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const der64 = (k: typeof ed) => (k.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
  const edRaw = (ed.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).subarray(12);

  const cases: Array<[string, KeyDecoding, Algorithm]> = [
    ['s3cret', 'utf8', 'hmac-sha256'],
    [`whsec_${randomBytes(24).toString('base64')}`, 'whsec', 'hmac-sha256'],
    ['whsec_', 'whsec', 'hmac-sha256'],
    ['not base64!', 'base64', 'hmac-sha256'],
    ['abcd', 'hex', 'hmac-sha256'],
    ['abc', 'hex', 'hmac-sha256'],
    [edRaw.toString('hex'), 'ed25519-hex', 'ed25519'],
    ['00', 'ed25519-hex', 'ed25519'],
    [`whpk_${edRaw.toString('base64')}`, 'ed25519-base64', 'ed25519'],
    [pem(ed), 'spki', 'ed25519'],
    [der64(ec), 'spki', 'ecdsa-p256-sha256'],
    [pem(rsa), 'spki', 'rsa-sha256'],
    [pem(rsa), 'spki', 'ed25519'],
    [pem(ed), 'spki', 'rsa-sha256'],
    ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', 'spki', 'rsa-sha256'],
  ];
  it.each(cases)('decodes %s as %s for %s with the same outcome on both platforms', (value, decode, algorithm) => {
    const outcome = (m: CryptoModule) => {
      try {
        const key = m.decodeKey(value, decode, algorithm);
        return key.kind === 'secret' ? `secret ${Buffer.from(key.bytes).toString('hex')}` : 'public';
      } catch (error) {
        return `error ${(error as Error).message.replace(/is an? \w+ key/, 'is a … key')}`;
      }
    };
    expect(outcome(webModule)).toBe(outcome(nodeModule));
  });

  it('refuses an EC key on another curve than P-256', () => {
    expect(() => webModule.decodeKey(pem(ecOtherCurve), 'spki', 'ecdsa-p256-sha256')).toThrow(/P-256/);
  });

  const data = Buffer.from('{"type":"ping"}');
  const signatures: Array<[Algorithm, typeof ed, Buffer]> = [
    ['ed25519', ed, sign(null, data, ed.privateKey)],
    ['ecdsa-p256-sha256', ec, sign('sha256', data, ec.privateKey)],
    ['rsa-sha256', rsa, sign('sha256', data, rsa.privateKey)],
    ['rsa-sha1', rsa, sign('sha1', data, rsa.privateKey)],
  ];
  it.each(signatures)('%s: Web Crypto accepts what node:crypto signed, and nothing else', async (algorithm, pair, signature) => {
    const key = webModule.decodeKey(pem(pair), 'spki', algorithm);
    if (key.kind !== 'public') throw new Error('expected a public key');
    expect(await webModule.signatureMatches(algorithm, key, [data], [signature])).toBe(true);
    expect(await webModule.signatureMatches(algorithm, key, ['{"type":"pong"}'], [signature])).toBe(false);
    const tampered = Buffer.from(signature);
    tampered[tampered.length - 5]! ^= 1;
    expect(await webModule.signatureMatches(algorithm, key, [data], [tampered, Buffer.from('junk')])).toBe(false);
    // Several candidates: the good one anywhere in the list passes, as on node.
    expect(await webModule.signatureMatches(algorithm, key, [data], [tampered, signature])).toBe(true);
    const nodeKey = nodeModule.decodeKey(pem(pair), 'spki', algorithm);
    if (nodeKey.kind !== 'public') throw new Error('expected a public key');
    expect(nodeModule.signatureMatches(algorithm, nodeKey, [data], [signature])).toBe(true);
  });

  const macs: Algorithm[] = ['hmac-sha1', 'hmac-sha256', 'hmac-sha512', 'sha256'];
  it.each(macs)('%s: the same MAC as node:crypto over parts of text and bytes', async (algorithm) => {
    const secret = { kind: 'secret' as const, bytes: randomBytes(32) };
    const parts = ['v0:', '1700000000', ':', randomBytes(500)];
    const expected = node.computeDigest(algorithm, secret.bytes, parts);
    expect(await webModule.macMatches(algorithm, secret, parts, [randomBytes(expected.length), expected])).toBe(true);
    expect(await webModule.macMatches(algorithm, secret, parts, [randomBytes(expected.length)])).toBe(false);
    expect(nodeModule.macMatches(algorithm, secret, parts, [expected])).toBe(true);
  });

  it('compares bytes without stopping at the first difference', () => {
    expect(webModule.equalBytes(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(webModule.equalBytes(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(webModule.equalBytes(Buffer.from('abc'), Buffer.from('ab'))).toBe(false);
  });

  it('says which platform each module is', () => {
    expect([nodeModule.platform, webModule.platform]).toEqual(['node', 'web']);
  });
});
