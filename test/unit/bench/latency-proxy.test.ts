import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatencyProxy, TokenBucket } from '@/test/bench/latency-proxy';

const MIB = 1024 * 1024;
const DELAY_MS = 50;
const BITS_PER_SECOND = 50_000_000;
/** 1 MiB at 50 Mbit/s: 168 ms. */
const MIB_AT_CAP_MS = (MIB * 8 * 1000) / BITS_PER_SECOND;

const body = new Uint8Array(MIB).map((_, i) => (i * 31 + 7) & 0xff);

/** toEqual walks a MiB element by element for seconds; this compares it at once. */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

let upstream: Server;
let proxy: LatencyProxy;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'x-asked': req.url ?? '' });
    res.end('no such thing');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  proxy = await LatencyProxy.start(`http://127.0.0.1:${port}`, { delayMs: DELAY_MS, bitsPerSecond: BITS_PER_SECOND });
});

afterAll(async () => {
  await proxy.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

async function timedFetch(path: string): Promise<{ status: number; headers: Headers; bytes: Uint8Array; headersMs: number; totalMs: number }> {
  const startedAt = performance.now();
  const response = await fetch(`${proxy.url}${path}`);
  const headersMs = performance.now() - startedAt;
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, headersMs, totalMs: performance.now() - startedAt };
}

describe('LatencyProxy (real sockets)', () => {
  it('holds every request for the delay before its response starts, and forwards status and headers', async () => {
    for (let i = 0; i < 3; i += 1) {
      const reply = await timedFetch(`/small-${i}`);
      expect(reply.status).toBe(404);
      expect(reply.headers.get('x-asked')).toBe(`/small-${i}`);
      expect(new TextDecoder().decode(reply.bytes)).toBe('no such thing');
      expect(reply.headersMs).toBeGreaterThanOrEqual(DELAY_MS - 1); // timers round to the millisecond
      expect(reply.headersMs).toBeLessThan(DELAY_MS + 2000);
    }
  });

  it('caps the bandwidth: 1 MiB at 50 Mbit/s takes at least ~168 ms of body time, intact', async () => {
    const reply = await timedFetch('/big');
    expect(reply.status).toBe(200);
    expect(sameBytes(reply.bytes, body)).toBe(true);
    // Measured from the request, not from the headers: on a busy machine `fetch` may resolve late,
    // when much of the paced body has already arrived, so "body time" alone is not a lower bound.
    expect(reply.totalMs).toBeGreaterThanOrEqual(DELAY_MS + 150);
  });

  it('shares the cap across connections: two parallel MiB take twice as long as one', async () => {
    const startedAt = performance.now();
    const replies = await Promise.all([timedFetch('/big'), timedFetch('/big')]);
    const elapsedMs = performance.now() - startedAt;
    for (const reply of replies) expect(sameBytes(reply.bytes, body)).toBe(true);
    expect(elapsedMs).toBeGreaterThanOrEqual(DELAY_MS + 2 * MIB_AT_CAP_MS - 20);
  });
});

describe('TokenBucket', () => {
  it('lets one burst go at once, then paces at the rate, and credits idle time only up to the burst', () => {
    let nowMs = 0;
    const bucket = new TokenBucket(1000, 100, () => nowMs); // 1 byte/ms, 100-byte burst
    expect(bucket.reserve(100)).toBe(0);
    expect(bucket.reserve(50)).toBe(50);
    expect(bucket.reserve(50)).toBe(100);
    nowMs = 10_000; // a long idle spell earns one burst, not ten thousand bytes
    expect(bucket.reserve(100)).toBe(0);
    expect(bucket.reserve(100)).toBe(100);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket(0, 100)).toThrow(/rate must be positive/);
  });
});
