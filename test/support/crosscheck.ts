/** The same bytes with the one at `at` (default: the middle) changed, never to itself: a tampered body. */
export function flipByte(body: string | Buffer, at?: number): Buffer {
  const bytes = Buffer.from(body);
  const i = at ?? Math.floor(bytes.length / 2);
  bytes[i] = bytes[i]! ^ 0x01;
  return bytes;
}
