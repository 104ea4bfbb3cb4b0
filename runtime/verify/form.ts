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
