/**
 * The bench's model of a user's network (issue #12): an HTTP proxy on loopback in front of the
 * lab server that holds every request for `delayMs` before forwarding it (the round trip to a
 * CDN, paid once per request, before its response starts) and paces every response body through
 * one token bucket shared by all connections (the user's downlink). The whole lab page is loaded
 * through it, so the app, v86 and every Range request of the disk pay the same price.
 *
 * Request bodies (uploads) are forwarded unpaced: a boot sends none.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The network a user has (issue #12): 50 ms more per request, 50 Mbit/s shared. */
export const USER_NETWORK = { delayMs: 50, bitsPerSecond: 50_000_000 };

export interface LatencyProxyOptions {
  /** Added to every request before it is forwarded. */
  delayMs: number;
  /** The downlink shared by all connections, in bits per second. */
  bitsPerSecond: number;
  /**
   * How much may go at full speed after an idle spell (the bucket's depth). Default 64 KiB
   * (10 ms at 50 Mbit/s): deep enough that a timer firing a few ms late costs no bandwidth.
   */
  burstBytes?: number;
  /** Where it listens on 127.0.0.1 (0: any free port). */
  port?: number;
}

/** Body bytes are paced in slices this large, so the shared rate is smooth across connections. */
const SLICE_BYTES = 16 * 1024;
const DEFAULT_BURST_BYTES = 64 * 1024;
/** Longer than any client keeps an idle connection, so the proxy never closes one under a client's reuse. */
const CLIENT_KEEP_ALIVE_MS = 60_000;
/** Shorter than the upstream's keep-alive (Node's default: 5 s), so a reused upstream socket is never one it is closing. */
const UPSTREAM_IDLE_MS = 4_000;

/**
 * A token bucket as a virtual clock (GCRA): each reservation moves the time at which the link
 * is free again by its bytes' transmission time, and bytes may go once that time is at most one
 * burst ahead of now. Reservations are made in order, so all connections together never exceed
 * the rate (plus one burst).
 */
export class TokenBucket {
  private readonly bytesPerMs: number;
  private readonly burstMs: number;
  private linkFreeAtMs = -Infinity;

  constructor(
    bytesPerSecond: number,
    burstBytes: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`TokenBucket: the rate must be positive, got ${bytesPerSecond} bytes/s`);
    this.bytesPerMs = bytesPerSecond / 1000;
    this.burstMs = burstBytes / this.bytesPerMs;
  }

  /** Reserves `bytes` of the link; returns how long to wait before sending them. */
  reserve(bytes: number): number {
    const now = this.nowMs();
    this.linkFreeAtMs = Math.max(this.linkFreeAtMs, now) + bytes / this.bytesPerMs;
    return Math.max(0, this.linkFreeAtMs - this.burstMs - now);
  }
}

export class LatencyProxy {
  /** Requests forwarded so far. */
  requests = 0;
  private readonly agent = new Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_MS });

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly upstream: URL,
    private readonly options: LatencyProxyOptions,
    private readonly bucket: TokenBucket,
  ) {}

  static async start(upstreamUrl: string, options: LatencyProxyOptions): Promise<LatencyProxy> {
    const server = createServer({ keepAliveTimeout: CLIENT_KEEP_ALIVE_MS });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const bucket = new TokenBucket(options.bitsPerSecond / 8, options.burstBytes ?? DEFAULT_BURST_BYTES);
    const proxy = new LatencyProxy(server, `http://127.0.0.1:${port}`, new URL(upstreamUrl), options, bucket);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      proxy.handle(req, res).catch((error: unknown) => {
        // The client went away or the upstream failed mid-body: end this reply, keep serving.
        res.destroy(error as Error);
      });
    });
    return proxy;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    await sleep(this.options.delayMs);
    const upstreamRes = await new Promise<IncomingMessage>((resolve, reject) => {
      const forwarded = httpRequest(
        {
          protocol: this.upstream.protocol,
          hostname: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: this.upstream.host },
          agent: this.agent,
        },
        resolve,
      );
      forwarded.once('error', reject);
      req.pipe(forwarded);
    });
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.headers);
    for await (const chunk of upstreamRes as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
        const slice = chunk.subarray(at, at + SLICE_BYTES);
        const waitMs = this.bucket.reserve(slice.length);
        if (waitMs > 0) await sleep(waitMs);
        if (!res.write(slice)) await new Promise((resolve) => res.once('drain', resolve));
      }
    }
    res.end();
  }
}
