/**
 * A least-recently-used cache of byte arrays under a byte budget. Map iteration order is
 * insertion order, so "touch" = delete + re-insert and the first key is the eviction victim:
 * O(1) per operation without a linked list.
 */
export class LruByteCache<K> {
  private readonly entries = new Map<K, Uint8Array>();
  private totalBytes = 0;

  /** @param budgetBytes upper bound on the sum of cached values' byteLength (0 disables caching). */
  constructor(readonly budgetBytes: number) {
    if (!Number.isSafeInteger(budgetBytes) || budgetBytes < 0) {
      throw new RangeError(`LRU budget must be a non-negative integer of bytes, got ${budgetBytes}`);
    }
  }

  get sizeBytes(): number {
    return this.totalBytes;
  }

  get count(): number {
    return this.entries.size;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): Uint8Array | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Returns the value without marking it used: for readers that must not change what is evicted next. */
  peek(key: K): Uint8Array | undefined {
    return this.entries.get(key);
  }

  /**
   * Stores `value` (the caller hands over ownership: no copy). A value larger than the whole
   * budget is not cached at all, since keeping it would break the budget.
   */
  set(key: K, value: Uint8Array): void {
    this.delete(key);
    if (value.byteLength > this.budgetBytes) return;
    this.entries.set(key, value);
    this.totalBytes += value.byteLength;
    for (const [oldestKey] of this.entries) {
      if (this.totalBytes <= this.budgetBytes) break;
      this.delete(oldestKey);
    }
  }

  delete(key: K): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.totalBytes -= value.byteLength;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}
