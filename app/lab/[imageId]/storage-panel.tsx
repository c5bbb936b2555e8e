'use client';

import { useCallback, useEffect, useState } from 'react';
import { formatBytes } from '@/lib/format';
import type { BootSettings } from '@/lib/images/manifest';
import { totalApproximateBytes } from '@/lib/workspaces';
import { RootCacheSettings } from './root-cache-settings';
import { UnlistedLeavesList } from './unlisted-leaves-list';
import type { WorkspaceListing } from './use-workspaces';

interface Estimate {
  usageBytes: number;
  quotaBytes: number;
}

type PersistState = 'unknown' | 'persistent' | 'best-effort' | 'unsupported';

const PERSIST_TEXT: Record<PersistState, string> = {
  unknown: 'Checking…',
  persistent: 'Persistent: the browser will not evict this site’s data to free space.',
  'best-effort': 'Best effort: under storage pressure the browser may evict this site’s data, workspaces included.',
  unsupported: 'This browser cannot make storage persistent.',
};

/** How often the estimate is refreshed: the browser updates it lazily anyway. */
const REFRESH_INTERVAL_MS = 5000;

/**
 * What the browser stores for Leaflab, whether it may evict it, each workspace's share, and
 * the disks no workspace lists. `imageDefaults`: the machine a disk kept as a workspace boots.
 */
export function StoragePanel({ listing, imageDefaults }: { listing: WorkspaceListing; imageDefaults: BootSettings }) {
  const [estimate, setEstimate] = useState<Estimate>();
  const [persist, setPersist] = useState<PersistState>('unknown');
  const [persistOutcome, setPersistOutcome] = useState<string>();

  const refreshEstimate = useCallback(async () => {
    if (!navigator.storage?.estimate) return;
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    setEstimate({ usageBytes: usage, quotaBytes: quota });
  }, []);

  useEffect(() => {
    const timer = setInterval(() => void refreshEstimate(), REFRESH_INTERVAL_MS);
    const persisted = navigator.storage?.persisted ? navigator.storage.persisted() : Promise.resolve(undefined);
    void persisted.then((value) => setPersist(value === undefined ? 'unsupported' : value ? 'persistent' : 'best-effort'));
    return () => clearInterval(timer);
  }, [refreshEstimate]);

  // At first and after every workspace action (delete, create), which changes usage: show it at
  // once, not at the next tick.
  useEffect(() => {
    const settled = Promise.resolve();
    void settled.then(refreshEstimate);
  }, [listing.workspaces, listing.unlisted, refreshEstimate]);

  async function askPersist() {
    const granted = await navigator.storage.persist();
    setPersist(granted ? 'persistent' : 'best-effort');
    setPersistOutcome(
      granted
        ? 'Granted: this browser keeps your workspaces until you delete them.'
        : 'Not granted. Browsers grant it to sites you use often or bookmark; your workspaces are kept unless storage runs low.',
    );
  }

  const workspaceBytes = totalApproximateBytes(listing.workspaces);
  const checkpointBytes = listing.checkpoints.reduce((sum, checkpoint) => sum + checkpoint.sizeBytes, 0);
  return (
    <section className="panel storage" aria-labelledby="storage-heading" data-testid="storage-panel">
      <h2 id="storage-heading">Storage</h2>
      <dl>
        <dt>This site stores</dt>
        <dd data-testid="storage-usage" data-usage-bytes={estimate?.usageBytes}>
          {estimate ? (
            <>
              {formatBytes(estimate.usageBytes)} of {formatBytes(estimate.quotaBytes)} available to it
              <meter min={0} max={estimate.quotaBytes} value={estimate.usageBytes} aria-label="Storage used" />
            </>
          ) : (
            'unknown (this browser gives no estimate)'
          )}
        </dd>
        <dt>Workspaces of this image</dt>
        <dd>
          {formatBytes(workspaceBytes)} in {listing.workspaces.length} workspace{listing.workspaces.length === 1 ? '' : 's'} (see
          Workspaces for each)
        </dd>
        {listing.checkpoints.length > 0 && (
          <>
            <dt>Checkpoints of this image</dt>
            <dd data-testid="checkpoint-usage" data-usage-bytes={checkpointBytes}>
              {formatBytes(checkpointBytes)} in {listing.checkpoints.length} checkpoint{listing.checkpoints.length === 1 ? '' : 's'}, each
              counted once however many workspaces build on it
            </dd>
          </>
        )}
        {listing.unlisted.length > 0 && (
          <>
            <dt>Disks no workspace lists</dt>
            <dd data-testid="unlisted-usage">
              {formatBytes(totalApproximateBytes(listing.unlisted))} in {listing.unlisted.length} disk
              {listing.unlisted.length === 1 ? '' : 's'} (below)
            </dd>
          </>
        )}
        <dt>Eviction</dt>
        <dd data-testid="storage-persistence">{PERSIST_TEXT[persist]}</dd>
      </dl>
      {persist === 'best-effort' && (
        <button type="button" onClick={() => void askPersist()}>
          Ask the browser to keep my workspaces
        </button>
      )}
      {persistOutcome && <p role="status">{persistOutcome}</p>}
      <UnlistedLeavesList listing={listing} imageDefaults={imageDefaults} />
      <RootCacheSettings />
      <p className="meta">
        When storage is full the machine pauses and says so; nothing it was told is saved gets lost. Delete workspaces you no
        longer need to make room.
      </p>
    </section>
  );
}
