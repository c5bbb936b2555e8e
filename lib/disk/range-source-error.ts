/** The one error type of the root's HTTP reads: what went wrong, and whether trying again can help. */

export type RangeSourceErrorKind =
  | 'network'
  | 'http-status'
  | 'not-partial'
  | 'wrong-range'
  | 'etag-changed'
  | 'short-body'
  | 'aborted'
  /** A chunk's bytes do not match its sha-256 in the image's chunk table. */
  | 'corrupt-chunk'
  /** The chunk table itself is missing, of the wrong length, or not the one the manifest names. */
  | 'bad-chunk-table';

export class RangeSourceError extends Error {
  constructor(
    readonly kind: RangeSourceErrorKind,
    message: string,
    /** HTTP status when a response arrived. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RangeSourceError';
  }

  /**
   * Set when the retries for this error were already spent (see withRetries): an outer caller
   * must not start another round of them.
   */
  retriesExhausted = false;

  /**
   * Transient failures worth another attempt; everything else would fail the same way again.
   * Altered bytes are retried too: a flaky proxy or a poisoned cache entry may give the right
   * bytes on the next, cache-bypassing request.
   */
  get retryable(): boolean {
    if (this.retriesExhausted) return false;
    return (
      this.kind === 'network' ||
      this.kind === 'corrupt-chunk' ||
      this.kind === 'bad-chunk-table' ||
      (this.kind === 'http-status' && (this.status ?? 0) >= 500)
    );
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** The error for a read the emulator cancelled; `what` names the bytes, e.g. "url (bytes 0-99)". */
export function abortedError(what: string): RangeSourceError {
  return new RangeSourceError('aborted', `Read of ${what} was cancelled (the emulator reset or stopped the I/O).`);
}
