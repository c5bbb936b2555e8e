/** Bounded retries with exponential backoff for the root's HTTP reads (chunks and the chunk table). */
import { abortedError, RangeSourceError } from './range-source-error';

export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  /** Delay before the first retry; doubles per retry. */
  baseDelayMs: number;
}

/**
 * Runs `attempt(n)` (n = 0, 1, ...) until it succeeds, it throws an error that is not a
 * retryable RangeSourceError, or `policy.maxRetries` retries have failed; then the last error
 * is thrown, its message saying how many retries were made, and marked as exhausted so that
 * no outer loop retries it again. `onRetry` is called before each
 * retry (for counters). `what` names the bytes in an abort error.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal,
  what: string,
  attempt: (attemptIndex: number) => Promise<T>,
  onRetry: (error: RangeSourceError) => void,
): Promise<T> {
  for (let attemptIndex = 0; ; attemptIndex += 1) {
    try {
      return await attempt(attemptIndex);
    } catch (error) {
      if (!(error instanceof RangeSourceError) || !error.retryable || attemptIndex >= policy.maxRetries) {
        if (error instanceof RangeSourceError && error.retryable) {
          if (attemptIndex > 0) error.message += ` (gave up after ${attemptIndex} ${attemptIndex === 1 ? 'retry' : 'retries'})`;
          error.retriesExhausted = true;
        }
        throw error;
      }
      onRetry(error);
      await abortableSleep(policy.baseDelayMs * 2 ** attemptIndex, signal, what);
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortedError(what));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(what));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
