/**
 * Remembers delivery ids so a provider's retry of a delivery already handled is answered 200
 * without running handlers twice. `claim` is atomic: of two concurrent deliveries with one id, one
 * wins. A failed delivery is released so the provider's next retry runs the handlers again.
 */
export interface DedupStore {
  /** True when the id was not seen (and is now taken); false for a duplicate. */
  claim(key: string): boolean | Promise<boolean>;
  /** Forgets the id, after its handlers failed. */
  release(key: string): void | Promise<void>;
}

export interface MemoryDedupOptions {
  /** Ids kept at most; the oldest go first (default 10,000). */
  maxEntries?: number;
  /** How long an id is remembered, in ms (default 24 h: longer than any provider's retry window). */
  ttlMs?: number;
  now?: () => number;
}

/** The default store: an LRU in this process's memory. Use SQLite or PostgreSQL across processes. */
export function memoryDedupStore(options: MemoryDedupOptions = {}): DedupStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    claim(key) {
      const t = now();
      const expires = seen.get(key);
      if (expires !== undefined && expires > t) return false;
      seen.delete(key);
      seen.set(key, t + ttlMs);
      if (seen.size > maxEntries) seen.delete(seen.keys().next().value as string);
      return true;
    },
    release(key) {
      seen.delete(key);
    },
  };
}
