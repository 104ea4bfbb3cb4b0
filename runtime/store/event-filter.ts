/**
 * Subscription event filters: `*` matches every event, `invoice.*` every event under `invoice.`,
 * anything else an exact name. Shared by both stores so fan-out means the same everywhere.
 */
export function matchesEvent(filters: readonly string[], eventType: string): boolean {
  for (const filter of filters) {
    if (filter === '*' || filter === eventType) return true;
    if (filter.endsWith('.*') && eventType.startsWith(filter.slice(0, -1))) return true;
  }
  return false;
}

/** Refuses filters that could never match as intended (`in*voice`, empty names). */
export function checkEventFilter(filter: string): string | undefined {
  if (filter === '*') return undefined;
  const name = filter.endsWith('.*') ? filter.slice(0, -2) : filter;
  if (name.length === 0 || name.includes('*')) return `event filter \`${filter}\`: use an exact name, \`prefix.*\` or \`*\``;
  return undefined;
}
