'use client';

import { useEffect, useState } from 'react';
import type { PublishedImage } from '@/lib/images/manifest';
import type { LabAssets } from '@/lib/lab/lab-session';
import { serverReachable, serviceWorkerWanted, setUpServiceWorker, type ServiceWorkerState } from '@/lib/offline/register-service-worker';

/** How often the page checks whether the server is back (or gone). */
const PROBE_INTERVAL_MS = 10_000;

/**
 * Sets up offline use for this lab (the service worker, lib/offline) and says when the lab runs
 * without its server. The worker is set up once the guest first reaches its prompt (`machineRunning`):
 * keeping the page's files costs a request per file and a render of the page on the server, which
 * would compete with the boot for the CPU.
 */
export function OfflineStatus({ image, assets, machineRunning }: { image: PublishedImage; assets: LabAssets; machineRunning: boolean }) {
  const [workerState, setWorkerState] = useState<ServiceWorkerState>('starting');
  const [offline, setOffline] = useState(false);
  const [workerStarted, setWorkerStarted] = useState(false);

  useEffect(() => {
    if (!machineRunning || workerStarted) return;
    const extraUrls = [assets.moduleUrl, assets.wasmUrl, assets.biosUrl, assets.vgaBiosUrl, image.chunkDigestsUrl, '/api/images'];
    void Promise.resolve().then(async () => {
      setWorkerStarted(true);
      setWorkerState(await setUpServiceWorker(serviceWorkerWanted(location.search), extraUrls));
    });
  }, [machineRunning, workerStarted, image, assets]);

  useEffect(() => {
    let cancelled = false;
    const probe = () => void serverReachable().then((reachable) => !cancelled && setOffline(!reachable));
    probe();
    const timer = setInterval(probe, PROBE_INTERVAL_MS);
    window.addEventListener('online', probe);
    window.addEventListener('offline', probe);
    return () => {
      cancelled = true;
      clearInterval(timer);
      window.removeEventListener('online', probe);
      window.removeEventListener('offline', probe);
    };
  }, []);

  return (
    <div data-testid="offline-status" data-sw-state={workerState} data-offline={offline}>
      {offline && (
        <p className="offline-notice" role="status" data-testid="offline-notice">
          <strong>Offline:</strong> the Leaflab server cannot be reached. This lab runs from what this browser kept when it was
          opened before (the page, the emulator, the root image&apos;s chunks and those of the shared environment it stacks); your changes are saved in this browser as
          usual. Parts of the disk never read before cannot be fetched until the server is back.
        </p>
      )}
    </div>
  );
}
