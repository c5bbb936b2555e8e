/**
 * Counts what the browser fetched from one URL (requests and body bytes), from the Resource
 * Timing entries the browser records for every request, so it measures the real traffic of
 * any disk backend (v86's own XHR disk included) without wrapping its requests.
 */
export interface NetworkCounters {
  requests: number;
  /** Response body bytes as received (before any decoding); a Range reply counts its range. */
  bytesFetched: number;
}

export class NetworkMeter {
  readonly counters: NetworkCounters = { requests: 0, bytesFetched: 0 };
  private readonly observer: PerformanceObserver | undefined;

  constructor(private readonly urlPrefix: string) {
    if (typeof PerformanceObserver === 'undefined') return;
    // The default Resource Timing buffer holds 250 entries; a boot makes hundreds of range
    // requests. Observers get every entry anyway; this keeps performance.getEntries() useful.
    performance.setResourceTimingBufferSize?.(10_000);
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
        if (!entry.name.startsWith(this.urlPrefix)) continue;
        this.counters.requests += 1;
        this.counters.bytesFetched += entry.encodedBodySize;
      }
    });
    this.observer.observe({ type: 'resource', buffered: false });
  }

  /** Resource entries are delivered in batches; take the ones already recorded now. */
  flush(): void {
    const pending = this.observer?.takeRecords() as PerformanceResourceTiming[] | undefined;
    for (const entry of pending ?? []) {
      if (!entry.name.startsWith(this.urlPrefix)) continue;
      this.counters.requests += 1;
      this.counters.bytesFetched += entry.encodedBodySize;
    }
  }

  disconnect(): void {
    this.observer?.disconnect();
  }
}
