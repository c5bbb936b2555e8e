/**
 * The lab page's side of offline use: registers the service worker (lib/offline/service-worker.ts,
 * served as /sw.js) and hands it the URLs the page loaded before the worker controlled it, so
 * the next visit boots with the server stopped.
 *
 * Debugging: `?sw=0` on a lab URL unregisters the worker and does not register it again while
 * the page is opened that way (every request then goes to the server; reload without it to get
 * the worker back). DevTools > Application > Service workers shows it too.
 */
import { isWarmMessage, type WarmMessage } from './sw-routes';

export const SERVICE_WORKER_URL = '/sw.js';

/** Where the worker stands for this page: 'ready' once it holds what the lab needs to boot offline. */
export type ServiceWorkerState = 'starting' | 'ready' | 'off' | 'unsupported' | 'failed';

/** False when the page's query asks for no worker (`sw=0`). */
export function serviceWorkerWanted(search: string): boolean {
  return new URLSearchParams(search).get('sw') !== '0';
}

const sameOrigin = (entries: PerformanceEntryList) => entries.map((entry) => entry.name).filter((url) => url.startsWith(location.origin));

/** The same-origin URLs this page loaded (scripts, styles, the emulator's files, the chunk tables, published layers' descriptors...). */
function loadedUrls(): string[] {
  return sameOrigin(performance.getEntriesByType('resource'));
}

/**
 * The page itself, kept as a navigation would keep it (so a lab opened once opens offline without
 * a second visit). Its current URL only: a share link has already moved the page to its fresh
 * workspace's URL, and the link itself is not kept, since opened offline it would make a
 * workspace whose page was never rendered here.
 */
function pageUrls(): string[] {
  return [location.href];
}

function warm(worker: ServiceWorker, urls: string[], pages: string[]): Promise<void> {
  const message: WarmMessage = { type: 'leaflab-sw-warm', urls: [...new Set(urls)], pages: [...new Set(pages)] };
  if (!isWarmMessage(message)) throw new Error('internal: malformed warm message');
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    worker.postMessage(message, [channel.port2]);
  });
}

/**
 * Registers the worker (or removes it when `wanted` is false) and, once it is active, has it
 * keep `extraUrls` and everything the page loaded. Resolves with the resulting state.
 */
export async function setUpServiceWorker(wanted: boolean, extraUrls: readonly string[]): Promise<ServiceWorkerState> {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return 'unsupported';
  try {
    if (!wanted) {
      for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
      return 'off';
    }
    await navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' });
    const registration = await navigator.serviceWorker.ready;
    if (!registration.active) return 'failed';
    await warm(registration.active, [...extraUrls.map((url) => new URL(url, location.href).href), ...loadedUrls()], pageUrls());
    return 'ready';
  } catch {
    // No worker (e.g. a plain-HTTP host other than localhost): the lab works online as before.
    return 'failed';
  }
}

/**
 * Whether the lab server answers now. A HEAD request, which the worker never answers from its
 * caches, so a page served from them still learns the server is gone.
 */
export async function serverReachable(): Promise<boolean> {
  try {
    await fetch('/api/images', { method: 'HEAD', cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}
