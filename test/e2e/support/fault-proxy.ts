/**
 * A real HTTP proxy on loopback between Chromium and an image host (nginx serving the catalog),
 * with switchable faults: what a flaky network, a broken CDN or a meddling proxy does to Range
 * replies. The lab is pointed at it with LEAFLAB_IMAGE_BASE_URL.
 *
 * A fault hits the first request whose path matches and then every `every`-th one (1: all of
 * them), so a client that retries gets a clean reply next time for the transient faults, and
 * a phase with a single request is hit too; `applied` counts the hits so a test can prove its
 * fault was exercised.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind =
  /** Holds the request for `delayMs` before forwarding it (a slow network). */
  | 'delay'
  /** Resets the connection without answering (after any delay). */
  | 'reset'
  /** Answers 503 without asking the host. */
  | 'status-503'
  /** Forwards the request without its Range header: a 200 with the whole file. */
  | 'full-200'
  /** Shifts the Content-Range by 512 bytes; the body is the one asked for. */
  | 'wrong-content-range'
  /** Replaces the ETag with another strong one (the host "changed the image" mid-session). */
  | 'change-etag'
  /** Keeps the headers (Content-Length included) but ends the connection after half the body. */
  | 'truncate'
  /** Flips one byte in the middle of the body; status and headers stay correct. */
  | 'flip';

export interface FaultRule {
  kind: FaultKind;
  /** Which requests it may hit: a substring of the path (e.g. "/disk.img"). */
  pathContains: string;
  /** Hit matching requests 1, 1 + n, 1 + 2n, ... (counted from when the rule is set). Default 1: all. */
  every?: number;
  /** For 'delay'. */
  delayMs?: number;
}

interface ActiveRule extends FaultRule {
  matched: number;
}

export class FaultProxy {
  private rules: ActiveRule[] = [];
  private readonly appliedCounts = new Map<FaultKind, number>();
  /** Every request (path, Range and If-Range headers) and what the client got (status, "reset", ...), in order. */
  readonly log: Array<{ path: string; range: string | undefined; ifRange: string | undefined; outcome: string }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly upstream: URL,
  ) {}

  static async start(upstreamUrl: string): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new FaultProxy(server, `http://127.0.0.1:${port}`, new URL(upstreamUrl));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.handle(req, res));
    return proxy;
  }

  /** Replaces the active faults (none: a transparent proxy). */
  setFaults(...rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ ...rule, matched: 0 }));
  }

  applied(kind: FaultKind): number {
    return this.appliedCounts.get(kind) ?? 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The faults that hit this request (each rule counts the requests it matches). */
  private faultsFor(path: string): Set<FaultKind> {
    const hits = new Set<FaultKind>();
    for (const rule of this.rules) {
      if (!path.includes(rule.pathContains)) continue;
      const index = rule.matched;
      rule.matched += 1;
      if (index % (rule.every ?? 1) !== 0) continue;
      hits.add(rule.kind);
      this.appliedCounts.set(rule.kind, this.applied(rule.kind) + 1);
    }
    return hits;
  }

  private delayOf(path: string): number {
    return this.rules.find((rule) => rule.kind === 'delay' && path.includes(rule.pathContains))?.delayMs ?? 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const faults = this.faultsFor(path);
    const range = req.headers.range;
    const ifRange = req.headers['if-range'] as string | undefined;
    const record = (outcome: string) => this.log.push({ path, range, ifRange, outcome });
    const forward = () => this.forward(req, res, faults, record);
    if (faults.has('status-503')) {
      record('503');
      res.writeHead(503, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' }).end('fault proxy: 503');
      return;
    }
    const go = () => {
      if (!faults.has('reset')) return forward();
      record('reset');
      req.socket.destroy();
    };
    if (faults.has('delay')) setTimeout(go, this.delayOf(path));
    else go();
  }

  private forward(req: IncomingMessage, res: ServerResponse, faults: Set<FaultKind>, record: (outcome: string) => void): void {
    const headers: IncomingHttpHeaders = { ...req.headers, host: this.upstream.host };
    if (faults.has('full-200')) delete headers.range;
    const upstreamRequest = httpRequest(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers },
      (upstream) => this.reply(upstream, res, faults, record),
    );
    upstreamRequest.on('error', () => {
      record('upstream-error');
      res.destroy();
    });
    // A client that gives up (e.g. on a 200 it will not read) must not keep the host streaming.
    res.on('close', () => upstreamRequest.destroy());
    req.pipe(upstreamRequest);
  }

  private reply(upstream: IncomingMessage, res: ServerResponse, faults: Set<FaultKind>, record: (outcome: string) => void): void {
    const headers = { ...upstream.headers };
    const status = upstream.statusCode ?? 502;
    if (faults.has('full-200')) {
      record(String(status));
      res.writeHead(status, headers);
      upstream.pipe(res);
      return;
    }
    if (faults.has('change-etag') && headers.etag) headers.etag = `"fault-proxy-${Date.now()}"`;
    if (faults.has('wrong-content-range') && headers['content-range']) {
      headers['content-range'] = headers['content-range'].replace(/bytes (\d+)-(\d+)\//, (_, start: string, end: string) => `bytes ${Number(start) + 512}-${Number(end) + 512}/`);
    }
    const chunks: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => chunks.push(chunk));
    upstream.on('error', () => res.destroy());
    upstream.on('end', () => {
      const body = Buffer.concat(chunks);
      if (faults.has('flip') && body.length > 0) {
        const middle = body.length >> 1;
        body[middle] = body[middle]! ^ 0x40;
      }
      res.writeHead(status, headers);
      if (faults.has('truncate')) {
        record('truncated');
        // Half the body, flushed, then the connection goes away under the declared Content-Length.
        res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      record(String(status));
      res.end(body);
    });
  }
}
