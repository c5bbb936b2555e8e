/**
 * Caches give way to workspaces: the root chunk cache and the service worker's copies stop
 * growing once this site's storage is half of what the browser lets it use, so a guest's writes
 * to its leaf never fail for lack of room that a cache took. (Chromium lets a site use a large
 * share of the free disk, so half of it is still far more than a cache's budget on most machines;
 * under a small quota the workspaces keep the other half.) It is approximate: Chromium's
 * estimate() counts large IndexedDB values late, and it cannot see a quota DevTools imposes
 * (Storage.overrideQuotaForOrigin), so tests that shrink the quota that way turn the caches off.
 */
export const MAX_CACHE_SHARE_OF_QUOTA = 0.5;

export const HEADROOM_NOTICE =
  "This site's storage is over half of what the browser allows, so the root cache stopped growing to leave room for your workspaces (it still serves what it has).";

/** Whether a cache may add `bytes` now. True where the browser gives no estimate. */
export async function cacheHasRoomFor(bytes: number): Promise<boolean> {
  const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
  if (!storage?.estimate) return true;
  try {
    const { usage = 0, quota } = await storage.estimate();
    if (!quota) return true;
    return usage + bytes <= quota * MAX_CACHE_SHARE_OF_QUOTA;
  } catch {
    return true;
  }
}
