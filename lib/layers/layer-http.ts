/**
 * The publisher's requests to the lab server's layer API: JSON replies, bounded retries with
 * backoff for what may pass (a network error, a 5xx), and the server's own message for a refusal.
 */
export class LayerPublishError extends Error {
  constructor(
    message: string,
    /** The HTTP status of a refusal; undefined for a network failure. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LayerPublishError';
  }
}

export interface LayerHttpOptions {
  fetch: typeof globalThis.fetch;
  signal: AbortSignal | undefined;
  /** Attempts after the first for a network error or 5xx. */
  maxRetries: number;
  retryBaseDelayMs: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sends one API request (retrying transient failures) and returns its JSON reply. `what` names it in messages. */
export async function layerApiRequest<T>(url: string, init: RequestInit, what: string, options: LayerHttpOptions): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    options.signal?.throwIfAborted();
    let failure: LayerPublishError;
    try {
      const response = await options.fetch(url, { ...init, signal: options.signal ?? null });
      const text = await response.text();
      if (response.ok) return JSON.parse(text) as T;
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // not JSON (a proxy's page): keep the text
      }
      failure = new LayerPublishError(`${what} was refused (HTTP ${response.status}): ${message}`, response.status);
      if (response.status < 500) throw failure;
    } catch (error) {
      if (error instanceof LayerPublishError && error.status !== undefined && error.status < 500) throw error;
      if (options.signal?.aborted) throw options.signal.reason;
      failure = error instanceof LayerPublishError ? error : new LayerPublishError(`${what} failed: ${(error as Error).message}`);
    }
    if (attempt >= options.maxRetries) {
      failure.message += ` (gave up after ${attempt} ${attempt === 1 ? 'retry' : 'retries'})`;
      throw failure;
    }
    await sleep(options.retryBaseDelayMs * 2 ** attempt, options.signal);
  }
}
