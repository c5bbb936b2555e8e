/**
 * What the service worker (lib/offline/service-worker.ts) does with each request: a pure
 * function, so the rules are unit-tested without a browser.
 *
 * - network-first (a copy kept for when the server cannot be reached): pages, /api/images, the
 *   emulator's files under /v86/ (their names carry no digest, so a new build must win) and the
 *   site icon;
 * - cache-first: what is named by its digest and never changes (Next's /_next/static/ files, an
 *   image's chunk table /images/<id>/<sha256>.chunks, a published layer's descriptor
 *   /layers/<id>/layer.json and chunk table /layers/<id>/chunks.sha256: the id is the sha-256 of
 *   the descriptor, which names the table's sha-256, so neither can change under its URL; the
 *   client checks both hashes on every open, and refetches past the caches when one fails);
 * - passthrough (the worker stays out of it, the request goes to the network as if there were
 *   no worker): anything not GET, every Range request and every root image (the persistent root
 *   chunk cache keeps root chunks, verified), uploads and other /api/ calls, published layers'
 *   bodies (the same persistent chunk cache keeps their chunks, verified),
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
/** A published layer's small files; its body (/layers/<id>/body) is never kept here. */
const LAYER_DESCRIPTOR_OR_TABLE = /^\/layers\/[0-9a-f]{64}\/(?:layer\.json|chunks\.sha256)$/;

export function swRouteOf(request: SwRequestInfo): SwRoute {
  const { url } = request;
  if (request.method !== 'GET' || request.hasRangeHeader || url.origin !== request.origin || request.rsc) return 'passthrough';
  const path = url.pathname;
  if (path.startsWith('/_next/static/')) return 'cache-first';
  if (DIGEST_NAMED_CHUNK_TABLE.test(path) || LAYER_DESCRIPTOR_OR_TABLE.test(path)) return 'cache-first';
  if (path.startsWith('/images/') || path.startsWith('/layers/') || path === '/sw.js') return 'passthrough';
  if (path === '/api/images') return 'network-first';
  if (path.startsWith('/api/')) return 'passthrough';
  if (path.startsWith('/v86/') || path === '/icon.svg') return 'network-first';
  if (request.navigate) return 'network-first';
  return 'passthrough';
}

/**
 * The message the lab page sends so the worker keeps what the page loaded before the worker
 * controlled it: `pages` are pages (kept as navigations are), `urls` everything else.
 */
export interface WarmMessage {
  type: 'leaflab-sw-warm';
  urls: string[];
  pages: string[];
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function isWarmMessage(data: unknown): data is WarmMessage {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Partial<Record<keyof WarmMessage, unknown>>;
  return message.type === 'leaflab-sw-warm' && isStringArray(message.urls) && isStringArray(message.pages);
}

/** Names of the worker's caches; a new version deletes the others at activation. */
export const SW_CACHE_VERSION = 1;
export const SW_CACHE_PREFIX = 'leaflab-sw-';
export const SHELL_CACHE = `${SW_CACHE_PREFIX}shell-v${SW_CACHE_VERSION}`;
export const IMMUTABLE_CACHE = `${SW_CACHE_PREFIX}immutable-v${SW_CACHE_VERSION}`;
