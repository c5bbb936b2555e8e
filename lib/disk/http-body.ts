/** Reading a reply body of a known length, without trusting the server to send that length. */
import { abortedError, describeError, RangeSourceError } from './range-source-error';

/**
 * Reads the whole body, refusing it as soon as it is longer than `expectedBytes`, and if it is
 * shorter. `onBytes` sees every received byte count (traffic counters), even of refused bodies.
 * `where` names the request in messages.
 */
export async function readExactBody(
  response: Response,
  expectedBytes: number,
  where: string,
  signal: AbortSignal,
  onBytes: (byteCount: number) => void,
): Promise<Uint8Array> {
  const out = new Uint8Array(expectedBytes);
  let receivedBytes = 0;
  const tooLong = () =>
    new RangeSourceError('short-body', `${where} sent more than the ${expectedBytes} bytes asked for; the reply was discarded.`, response.status);
  try {
    if (!response.body) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      onBytes(bytes.byteLength);
      if (bytes.byteLength > expectedBytes) throw tooLong();
      out.set(bytes);
      receivedBytes = bytes.byteLength;
    } else {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        onBytes(value.byteLength);
        if (receivedBytes + value.byteLength > expectedBytes) {
          void reader.cancel().catch(() => undefined);
          throw tooLong();
        }
        out.set(value, receivedBytes);
        receivedBytes += value.byteLength;
      }
    }
  } catch (error) {
    if (error instanceof RangeSourceError) throw error;
    if (signal.aborted) throw abortedError(where);
    throw new RangeSourceError(
      'network',
      `The connection to ${where} broke after ${receivedBytes} of ${expectedBytes} bytes: ${describeError(error)}.`,
      response.status,
      { cause: error },
    );
  }
  if (receivedBytes !== expectedBytes) {
    throw new RangeSourceError(
      'short-body',
      `${where} sent ${receivedBytes} bytes but ${expectedBytes} were expected; the reply was discarded.`,
      response.status,
    );
  }
  return out;
}

/** Cancels a body nobody will read, so it does not keep streaming. */
export function discardBody(response: Response): void {
  void response.body?.cancel().catch(() => undefined);
}
