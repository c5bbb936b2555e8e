/**
 * What the service worker (lib/offline/service-worker.ts) does with each request: a pure
 * function, so the rules are unit-tested without a browser.
 *
 * - network-first (a copy kept for when the server cannot be reached): pages, /api/images, the
 *   emulator's files under /v86/ (their names carry no digest, so a new build must win) and the
 *   site icon;
 * - cache-first: what is named by its digest and never changes (Next's /_next/static/ files, an
 *   image's chunk table /images/<id>/<sha256>.chunks);
 * - passthrough (the worker stays out of it, the request goes to the network as if there were
 *   no worker): anything not GET, every Range request and every root image (the persistent root
 *   chunk cache keeps root chunks, verified), uploads and other /api/ calls, published layers,
 *   Next's RSC fetches (their replies vary on request headers; a failed one makes Next load the
 *   page itself, which is network-first), other origins.
 */
export type SwRoute = 'network-first' | 'cache-first' | 'passthrough';

export interface SwRequestInfo {
  method: string;
  url: URL;
  /** The worker's own origin: other origins are never handled. */
  origin: string;
  /** A navigation (request.mode === 'navigate'). */
  navigate: boolean;
  hasRangeHeader: boolean;
  /** Next's RSC fetch (header `RSC: 1` or a `_rsc` query parameter). */
  rsc: boolean;
}

const DIGEST_NAMED_CHUNK_TABLE = /^\/images\/[a-z0-9-]+\/[0-9a-f]{64}\.chunks$/;

export function swRouteOf(request: SwRequestInfo): SwRoute {
  const { url } = request;
  if (request.method !== 'GET' || request.hasRangeHeader || url.origin !== request.origin || request.rsc) return 'passthrough';
  const path = url.pathname;
  if (path.startsWith('/_next/static/')) return 'cache-first';
  if (DIGEST_NAMED_CHUNK_TABLE.test(path)) return 'cache-first';
  if (path.startsWith('/images/') || path.startsWith('/layers/') || path === '/sw.js') return 'passthrough';
  if (path === '/api/images') return 'network-first';
  if (path.startsWith('/api/')) return 'passthrough';
  if (path.startsWith('/v86/') || path === '/icon.svg') return 'network-first';
  if (request.navigate) return 'network-first';
  return 'passthrough';
}

/** The message the lab page sends so the worker keeps what the page loaded before the worker controlled it. */
export interface WarmMessage {
  type: 'leaflab-sw-warm';
  urls: string[];
}

export function isWarmMessage(data: unknown): data is WarmMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { type?: unknown }).type === 'leaflab-sw-warm' &&
    Array.isArray((data as { urls?: unknown }).urls) &&
    (data as { urls: unknown[] }).urls.every((url) => typeof url === 'string')
  );
}

/** Names of the worker's caches; a new version deletes the others at activation. */
export const SW_CACHE_VERSION = 1;
export const SW_CACHE_PREFIX = 'leaflab-sw-';
export const SHELL_CACHE = `${SW_CACHE_PREFIX}shell-v${SW_CACHE_VERSION}`;
export const IMMUTABLE_CACHE = `${SW_CACHE_PREFIX}immutable-v${SW_CACHE_VERSION}`;
