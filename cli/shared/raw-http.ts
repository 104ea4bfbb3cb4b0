/**
 * A captured HTTP/1.x request as text, the way a proxy, `nc -l` or a tunnel's inspector saves it:
 * request line, header lines, a blank line, the body. Line ends may be CRLF or LF. The body is kept as
 * the exact bytes after the blank line, cut to Content-Length when one is given (`nc` output often has
 * a trailing newline), and de-chunked when Transfer-Encoding is chunked.
 */
export function parseRawHttpRequest(bytes: Buffer, file = 'request'): { method: string; url: string; headers: Record<string, string | string[]>; body: Uint8Array } {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  let headEnd: number;
  let bodyStart: number;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) [headEnd, bodyStart] = [crlf, crlf + 4];
  else if (lf >= 0) [headEnd, bodyStart] = [lf, lf + 2];
  else [headEnd, bodyStart] = [bytes.length, bytes.length];
  const lines = bytes.subarray(0, headEnd).toString('latin1').split(/\r?\n/);
  const requestLine = lines.shift() ?? '';
  const match = /^([A-Z]+) (\S+)(?: HTTP\/\d(?:\.\d)?)?$/.exec(requestLine.trim());
  if (!match) throw new Error(`${file}: the first line is not a request line (\`POST /path HTTP/1.1\`), nor the start of a JSON request file`);
  const headers: Record<string, string | string[]> = {};
  for (const [index, line] of lines.entries()) {
    const at = line.indexOf(':');
    if (at <= 0) throw new Error(`${file}:${index + 2}: not a header line (\`Name: value\`)`);
    const name = line.slice(0, at).trim().toLowerCase();
    const value = line.slice(at + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  let body: Buffer = bytes.subarray(bodyStart);
  const encoding = headers['transfer-encoding'];
  const length = headers['content-length'];
  if (typeof encoding === 'string' && /chunked/i.test(encoding)) body = dechunk(body, file);
  else if (typeof length === 'string' && /^\d+$/.test(length)) {
    const n = Number(length);
    if (body.length < n) throw new Error(`${file}: Content-Length is ${n} but the body has ${body.length} bytes (truncated capture?)`);
    body = body.subarray(0, n);
  }
  let url = match[2]!;
  // An absolute-form target (a proxy's log) keeps only the path and query, as a server sees it.
  if (/^https?:\/\//i.test(url)) {
    const parsed = new URL(url);
    url = `${parsed.pathname}${parsed.search}`;
  }
  return { method: match[1]!, url, headers, body };
}

function dechunk(data: Buffer, file: string): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\n', at);
    if (lineEnd < 0) throw new Error(`${file}: a chunked body ends without its last (0) chunk`);
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
    if (Number.isNaN(size)) throw new Error(`${file}: a chunk size is not hexadecimal`);
    at = lineEnd + 1;
    if (size === 0) return Buffer.concat(parts);
    parts.push(data.subarray(at, at + size));
    at += size;
    if (data[at] === 0x0d) at++;
    if (data[at] === 0x0a) at++;
  }
}
