import { describe, expect, it } from 'vitest';
import { parseTemplate, TemplateSyntaxError } from '../runtime/template/parse.js';
import { compileTemplate, sortedForm, type TemplateContext } from '../runtime/template/compile.js';
import { RequestContext } from '../runtime/verify/request.js';
import { crc32 } from '../runtime/template/crc32.js';
import { createHmac } from 'node:crypto';

const context = (over: Partial<Record<string, unknown>> = {}): TemplateContext => {
  const values = {
    body: '{"a":{"b":[1,"two"]},"~k/":"esc"}',
    headers: { 'x-ts': '1700000000', 'x-id': 'msg_1' } as Record<string, string>,
    query: { code: 'abc' } as Record<string, string>,
    params: { t: '42' } as Record<string, string>,
    config: { url: 'https://example.com/hook' } as Record<string, string>,
    credentials: { secret: 'shh' } as Record<string, string>,
    ...over,
  };
  const doc = JSON.parse(values.body as string);
  return {
    body: () => values.body as string,
    method: () => 'POST',
    url: () => '/hook?code=abc',
    header: (n) => (values.headers as Record<string, string>)[n],
    query: (n) => (values.query as Record<string, string>)[n],
    json: (p) => p.split('/').slice(1).reduce<unknown>((node, t) => (node as Record<string, unknown> | undefined)?.[t.replaceAll('~1', '/').replaceAll('~0', '~')], doc),
    form: () => undefined,
    param: (n) => (values.params as Record<string, string>)[n],
    config: (n) => (values.config as Record<string, string>)[n],
    credential: (n) => (values.credentials as Record<string, string>)[n],
  };
};

describe('template parser', () => {
  it.each([
    ['{body}', [{ kind: 'source', source: 'body', arg: '' }]],
    ['v0:{header:X-Slack-Request-Timestamp}:{body}', [{ kind: 'literal', text: 'v0:' }, { kind: 'source', source: 'header', arg: 'x-slack-request-timestamp' }, { kind: 'literal', text: ':' }, { kind: 'source', source: 'body', arg: '' }]],
    ['{{literal}}', [{ kind: 'literal', text: '{literal}' }]],
    ['{json:/a/b/0}', [{ kind: 'source', source: 'json', arg: '/a/b/0' }]],
    ["{hmac_sha256_hex(credential:secret, 'x')}", [{ kind: 'call', fn: 'hmac_sha256_hex', args: [{ kind: 'source', source: 'credential', arg: 'secret' }, { kind: 'literal', text: 'x' }] }]],
  ])('parses %s', (template, nodes) => {
    expect(parseTemplate(template)).toEqual(nodes);
  });

  it.each([
    ['{bodi}', 'unknown source "bodi"'],
    ['{header}', 'needs an argument'],
    ['{body:x}', 'takes no argument'],
    ['{json:a/b}', 'JSON Pointer starts with "/"'],
    ['{header:x', 'expected "}"'],
    ['a}b', 'unmatched "}"'],
    ['{eval(body)}', 'unknown function "eval"'],
    ['{sha256_hex(body, body)}', 'takes 1 argument(s), got 2'],
    ["{latin1('x}", 'unterminated quoted string'],
  ])('refuses %s: %s', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate(template)).toThrow(message);
  });
});

describe('template rendering', () => {
  it.each([
    ['{param:t}.{body}', '42.{"a":{"b":[1,"two"]},"~k/":"esc"}'],
    ['{header:x-id}.{header:x-ts}', 'msg_1.1700000000'],
    ['{json:/a/b/1}-{json:/a/b/0}', 'two-1'],
    ['{json:/~0k~1}', 'esc'],
    ['{config:url}{query:code}', 'https://example.com/hookabc'],
    ['{method} {url}', 'POST /hook?code=abc'],
    ['{crc32(body)}', String(crc32(Buffer.from('{"a":{"b":[1,"two"]},"~k/":"esc"}')))],
    ['{sha256_hex(\'abc\')}', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['{hmac_sha256_hex(credential:secret, header:x-id)}', createHmac('sha256', 'shh').update('msg_1').digest('hex')],
    ["{json_string('a\"b')}", '"a\\"b"'],
  ])('renders %s', (template, expected) => {
    expect(compileTemplate(template).text(context())).toBe(expected);
  });

  it('names the first missing part', () => {
    expect(compileTemplate('{header:x-id}.{header:x-missing}.{body}').render(context())).toEqual({ missing: 'header `x-missing`' });
    expect(compileTemplate('{json:/a}').render(context())).toEqual({ missing: 'JSON field `/a`' });
  });

  it('keeps bytes as bytes, and latin1 truncates UTF-16 units to 8 bits as Trello does', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x80]);
    expect(compileTemplate('{body}').render({ ...context(), body: () => bytes }).parts![0]).toBe(bytes);
    expect(Buffer.from(compileTemplate("{latin1('é€')}").render(context()).parts![0] as Uint8Array)).toEqual(Buffer.from([0xe9, 0xac]));
  });

  it('computes CRC-32 as zlib does', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });
});

describe('{form_sorted}: form fields sorted by name, as Twilio signs them', () => {
  const formContext = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    new RequestContext({ method: 'POST', url: '/hook', headers: { 'content-type': contentType }, body }, {}, {}, { content: ['form', 'json'] });

  it('parses as a source without an argument, and refuses one', () => {
    expect(parseTemplate('{config:url}{form_sorted}')).toEqual([
      { kind: 'source', source: 'config', arg: 'url' },
      { kind: 'source', source: 'form_sorted', arg: '' },
    ]);
    expect(() => parseTemplate('{form_sorted:Body}')).toThrow('source "form_sorted" takes no argument');
  });

  it('renders each name then its decoded value, names in code-unit order, no separators', () => {
    const ctx = formContext('To=%2B18005551212&From=%2B14158675310&Digits=1234&CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Body=hello+world%21');
    expect(compileTemplate('{form_sorted}').text(ctx)).toBe('Bodyhello world!CallSidCA1234567890ABCDECaller+14158675310Digits1234From+14158675310To+18005551212');
  });

  it('sorts by name, not by name+value: `Sid` before `SidAccount` (twilio-python vector)', () => {
    const ctx = formContext('Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234');
    expect(compileTemplate('{form_sorted}').text(ctx)).toBe('Digits1234Digits5678SidCA123SidAccountAC123');
    const signature = createHmac('sha1', '12345').update(`https://mycompany.com/myapp.php?foo=1&bar=2${compileTemplate('{form_sorted}').text(ctx)}`).digest('base64');
    expect(signature).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });

  it('writes a repeated name once per distinct value, values sorted, as twilio-node does', () => {
    expect(sortedForm([['b', '2'], ['a', 'z'], ['b', '1'], ['b', '2'], ['a', '']])).toBe('aazb1b2');
    expect(compileTemplate('{form_sorted}').text(formContext('b=2&b=2&b=10'))).toBe('b10b2');
  });

  it('compares UTF-16 code units (upper case before lower case, BMP after astral surrogates)', () => {
    expect(sortedForm([['a', '1'], ['B', '2'], ['\uffff', '3'], ['\u{1F600}', '4']])).toBe('B2a1\u{1F600}4\uffff3');
  });

  it('keeps empty values and renders an empty form as empty text, not as missing', () => {
    expect(compileTemplate('[{form_sorted}]').text(formContext('Body=&NumMedia=0'))).toBe('[BodyNumMedia0]');
    expect(compileTemplate('[{form_sorted}]').text(formContext(''))).toBe('[]');
  });

  it('reads invalid UTF-8 as U+FFFD, as URLSearchParams reads percent-encoded invalid bytes', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('a=1&b='), 0xff, ...new TextEncoder().encode('&c=%FF')]);
    const ctx = new RequestContext({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: bytes }, {}, {}, { content: ['form'] });
    expect(compileTemplate('{form_sorted}').text(ctx)).toBe('a1b\ufffdc\ufffd');
    expect(ctx.parse()).toBeUndefined();
  });

  it('reads the body as a form without a Content-Type when form is the first content kind', () => {
    const ctx = new RequestContext({ method: 'POST', headers: {}, body: 'b=2&a=1' }, {}, {}, { content: ['form', 'json'] });
    expect(compileTemplate('{form_sorted}').text(ctx)).toBe('a1b2');
  });

  it('is missing when the body is not a form', () => {
    expect(compileTemplate('{form_sorted}').render(formContext('{"a":1}', 'application/json'))).toEqual({ missing: 'form fields (the body is not a form)' });
    expect(compileTemplate('{form_sorted}').render(context())).toEqual({ missing: 'form fields (the body is not a form)' });
  });
});
