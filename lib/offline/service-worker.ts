/**
 * Leaflab's service worker, bundled to public/sw.js by scripts/build-service-worker.mjs and
 * registered by the lab page only (lib/offline/register-service-worker.ts). It keeps the app
 * shell, the emulator, the BIOS and what the lab page needs to open, so a lab opened once boots
 * with the server stopped; the root image's chunks come from the persistent root chunk cache
 * (lib/disk/root-chunk-cache-idb.ts), never from here. Which request gets which treatment:
 * sw-routes.ts.
 */
import { cacheHasRoomFor } from '../disk/storage-headroom';
import { IMMUTABLE_CACHE, isWarmMessage, SHELL_CACHE, SW_CACHE_PREFIX, swRouteOf, type SwRoute } from './sw-routes';

/** The parts of the service worker scope this file uses (the project's TypeScript lib is the DOM's). */
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
}
interface WorkerScope {
  readonly location: Location;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.addEventListener('install', (event) => event.waitUntil(scope.skipWaiting()));

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const current = new Set([SHELL_CACHE, IMMUTABLE_CACHE]);
      for (const name of await caches.keys()) if (name.startsWith(SW_CACHE_PREFIX) && !current.has(name)) await caches.delete(name);
      await scope.clients.claim();
    })(),
  );
});

/** `asPage`: a page the lab asks to keep (warm requests are never navigations themselves). */
function routeOf(request: Request, asPage = false): SwRoute {
  const url = new URL(request.url);
  return swRouteOf({
    method: request.method,
    url,
    origin: scope.location.origin,
    navigate: asPage || request.mode === 'navigate',
    hasRangeHeader: request.headers.has('range'),
    rsc: request.headers.get('rsc') === '1' || url.searchParams.has('_rsc'),
  });
}

/** The last copy queued: copies are kept one at a time, so each room check sees the ones before it. */
let keeping: Promise<void> = Promise.resolve();

/** Keeps a copy of a good, complete reply, if the site has room for caches (never at a workspace's expense). */
function keep(cacheName: string, request: Request | string, response: Response): Promise<void> {
  const done = keeping.then(() => keepNow(cacheName, request, response));
  keeping = done;
  return done;
}

async function keepNow(cacheName: string, request: Request | string, response: Response): Promise<void> {
  if (response.status !== 200 || response.type === 'opaque') return;
  const sizeBytes = Number(response.headers.get('content-length') ?? 0);
  if (!(await cacheHasRoomFor(sizeBytes))) return;
  try {
    await (await caches.open(cacheName)).put(request, response);
  } catch {
    // A full quota: the copy is simply not kept.
  }
}

async function networkFirst(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    void keep(SHELL_CACHE, request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(request, { cacheName: SHELL_CACHE, ignoreVary: true });
    if (cached) return cached;
    if (request.mode === 'navigate') return offlinePage();
    throw error;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: IMMUTABLE_CACHE });
  // A reload that bypasses caches (e.g. RangeSource refetching a chunk table that failed its check) goes to the network.
  if (cached && request.cache !== 'reload' && request.cache !== 'no-store') return cached;
  const response = await fetch(request);
  void keep(IMMUTABLE_CACHE, request, response.clone());
  return response;
}

function offlinePage(): Response {
  const html =
    '<!doctype html><meta charset="utf-8"><title>Offline — Leaflab</title>' +
    '<h1>The Leaflab server cannot be reached</h1>' +
    '<p>This page was not opened in this browser before, so there is no copy of it to show offline. ' +
    'Labs opened before work offline; try again when the server is back.</p>';
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

scope.addEventListener('fetch', (event) => {
  const route = routeOf(event.request);
  if (route === 'network-first') event.respondWith(networkFirst(event.request));
  else if (route === 'cache-first') event.respondWith(cacheFirst(event.request));
});

/** Keeps what the page loaded before this worker controlled it (and the pages themselves); answers on the port when done. */
async function warm(urls: readonly string[], pages: readonly string[]): Promise<number> {
  let kept = 0;
  const targets = [...urls.map((url) => ({ url, asPage: false })), ...pages.map((url) => ({ url, asPage: true }))];
  await Promise.all(
    targets.map(async ({ url, asPage }) => {
      const request = new Request(url);
      const route = routeOf(request, asPage);
      if (route === 'passthrough') return;
      const cacheName = route === 'cache-first' ? IMMUTABLE_CACHE : SHELL_CACHE;
      if (route === 'cache-first' && (await caches.match(request, { cacheName }))) {
        kept += 1;
        return;
      }
      try {
        await keep(cacheName, request, await fetch(request));
        if (await caches.match(request, { cacheName })) kept += 1;
      } catch {
        // Offline already: keep what is there.
      }
    }),
  );
  return kept;
}

scope.addEventListener('message', (event) => {
  if (!isWarmMessage(event.data)) return;
  const done = warm(event.data.urls, event.data.pages).then((kept) => event.ports[0]?.postMessage({ kept }));
  event.waitUntil(done);
});
