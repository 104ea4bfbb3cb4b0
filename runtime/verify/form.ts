/**
 * Parses an application/x-www-form-urlencoded body into an object without a prototype, so keys such
 * as `__proto__` or `constructor` are plain fields. A repeated field keeps its first value.
 */
export function parseForm(text: string): Record<string, string> {
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(text)) {
    if (!(name in fields)) fields[name] = value;
  }
  return fields;
}

/**
 * Reads bracketed field names (`data[merges][EMAIL]=x`, as PHP and MailChimp write them) into nested
 * objects without prototypes. `__proto__`, `constructor` and `prototype` are ordinary keys here.
 */
export function nestForm(fields: Record<string, string>): Record<string, unknown> {
  const root = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(fields)) {
    const path = fieldPath(name);
    let node = root;
    for (const [i, key] of path.entries()) {
      if (i === path.length - 1) {
        if (!(key in node)) node[key] = value;
        break;
      }
      const next = node[key];
      if (next === undefined) node = node[key] = Object.create(null) as Record<string, unknown>;
      else if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
      else break; // `a=1&a[b]=2`: the first value stands
    }
  }
  return root;
}

function fieldPath(name: string): string[] {
  const open = name.indexOf('[');
  if (open <= 0 || !name.endsWith(']')) return [name];
  const path = [name.slice(0, open)];
  for (const match of name.slice(open).matchAll(/\[([^\]]*)\]/g)) path.push(match[1]!);
  return path;
}
