import { invalid } from './http.js';

/**
 * Shape checks of request input (types, presence, unknown names). What the values mean (a URL's
 * scheme, an event filter, a secret's length) is checked by the operations themselves, once.
 */
export type Fields = Record<string, unknown>;

/** The body as an object with only `allowed` properties; no body is an empty object. */
export function bodyObject(body: unknown, allowed: readonly string[]): Fields {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'expected a JSON object');
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalid(key, `unknown property; expected ${allowed.join(', ')}`);
  }
  return body as Fields;
}

export function optionalString(fields: Fields, key: string, maxLength = 2048): string | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(key, 'expected a string');
  if (value.length > maxLength) throw invalid(key, `longer than ${maxLength} characters`);
  return value;
}

export function requiredString(fields: Fields, key: string, maxLength?: number): string {
  const value = optionalString(fields, key, maxLength);
  if (value === undefined || value === '') throw invalid(key, 'required');
  return value;
}

export function optionalStrings(fields: Fields, key: string, maxItems = 1000): string[] | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(key, 'expected an array of strings');
  if (value.length > maxItems) throw invalid(key, `at most ${maxItems} items`);
  return value as string[];
}

export function optionalStringRecord(fields: Fields, key: string): Record<string, string> | undefined {
  const value = optionalObject(fields, key);
  if (value && Object.values(value).some((v) => typeof v !== 'string')) throw invalid(key, 'expected an object of string values');
  return value as Record<string, string> | undefined;
}

export function optionalObject(fields: Fields, key: string): Record<string, unknown> | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(key, 'expected a JSON object');
  return value as Record<string, unknown>;
}

export function optionalBoolean(fields: Fields, key: string): boolean | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalid(key, 'expected true or false');
  return value;
}

export function optionalNonNegativeInteger(fields: Fields, key: string): number | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(key, 'expected a non-negative integer');
  return value;
}

/** A time as an ISO 8601 string or epoch milliseconds (a number, or digits in a query string). */
export function parseTime(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) return Number(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return at;
  }
  throw invalid(field, 'expected an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds');
}

/** Query parameters, refusing names not in `allowed`: a misspelt filter must not silently list everything. */
export function queryParams(url: URL, allowed: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!allowed.includes(name)) throw invalid(name, `unknown query parameter; expected ${allowed.join(', ') || 'none'}`);
    if (params.has(name)) throw invalid(name, 'given twice');
    params.set(name, value);
  }
  return params;
}

export function optionalChoice<T extends string>(fields: Fields, key: string, choices: readonly T[]): T | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !choices.includes(value as T)) throw invalid(key, `expected one of ${choices.join(', ')}`);
  return value as T;
}
