/** RFC 6901 JSON Pointer lookup; own properties only, so `/__proto__` never walks the prototype. */
export function jsonPointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let node: unknown = document;
  let start = 1;
  while (start <= pointer.length) {
    let end = pointer.indexOf('/', start);
    if (end < 0) end = pointer.length;
    const raw = pointer.slice(start, end);
    const token = raw.includes('~') ? raw.replaceAll('~1', '/').replaceAll('~0', '~') : raw;
    if (node === null || typeof node !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
    start = end + 1;
  }
  return node;
}
