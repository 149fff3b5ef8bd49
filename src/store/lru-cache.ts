/**
 * A bounded LRU map whose entries also expire after a per-entry TTL: the memory tier.
 * Reads refresh recency but not expiry; writes reset both.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; expires: number }>();

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    if (e.expires <= this.now()) return undefined;
    this.map.set(key, e);
    return e.value;
  }

  set(key: K, value: V, ttlMs: number): void {
    this.map.delete(key);
    if (ttlMs <= 0 || this.maxEntries <= 0) return;
    this.map.set(key, { value, expires: this.now() + ttlMs });
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}
