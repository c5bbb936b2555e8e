'use client';

import { useEffect, useState } from 'react';
import { formatBytes } from '@/lib/format';
import type { DiskMode } from '@/lib/lab/disk-backends';
import type { DiskStats, LabSession } from '@/lib/lab/lab-session';

const BACKEND_LABELS: Record<DiskMode, string> = {
  union: 'Union block device: the shared root image over HTTP Range, your changes in this browser (IndexedDB)',
  'v86-async': "v86's async Range disk: the guest's writes stay in this tab's memory and are gone after a reload",
  memory: 'Whole image downloaded into memory first: writes are gone after a reload',
};

const formatMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** Disk counters, refreshed twice a second (never per I/O, so it costs the guest nothing). */
export function StatsPanel({ session }: { session: LabSession }) {
  const [stats, setStats] = useState<DiskStats>(() => session.stats());
  useEffect(() => {
    const timer = setInterval(() => setStats(session.stats()), 500);
    return () => clearInterval(timer);
  }, [session]);

  return (
    <section className="stats" aria-label="Disk counters">
      <h2>Disk</h2>
      <dl>
        <dt>Backend</dt>
        <dd>{BACKEND_LABELS[stats.diskMode]}</dd>
        <dt>Fetched from the root image</dt>
        <dd data-testid="stat-bytes-fetched">
          {formatBytes(stats.bytesFetched)} in {stats.requests} requests
        </dd>
        <dt>Guest reads</dt>
        <dd>
          {stats.reads} ({formatBytes(stats.bytesRead)})
        </dd>
        <dt>Guest waited on the disk</dt>
        <dd data-testid="stat-read-wait">
          {formatMs(stats.readWaitMs)} ({stats.asyncReads} reads answered later) · disk engine {formatMs(stats.engineMs)} of main thread
        </dd>
        <dt>Guest writes</dt>
        <dd>
          {stats.writes} ({formatBytes(stats.bytesWritten)})
        </dd>
        {stats.diskMode === 'union' && (
          <>
            <dt>Root chunks cached</dt>
            <dd>
              {stats.chunksCached} ({formatBytes(stats.cachedBytes)})
            </dd>
            {stats.prefetchedChunks > 0 && (
              <>
                <dt>Boot set fetched ahead</dt>
                <dd data-testid="stat-prefetch">
                  {stats.prefetchedChunks} chunks, {stats.prefetchedChunksUsed} used by the guest so far
                </dd>
              </>
            )}
            <dt>From this browser&apos;s root cache</dt>
            <dd data-testid="stat-root-cache">
              {stats.rootCacheHits} chunks ({formatBytes(stats.rootCacheBytes)})
              {stats.rootCacheCorruptChunks > 0 && <> · {stats.rootCacheCorruptChunks} damaged copies fetched again</>}
              {stats.rootCacheNotice && <> · {stats.rootCacheNotice}</>}
            </dd>
            <dt>Leaf (your changes)</dt>
            <dd data-testid="stat-leaf">
              {stats.leafSectors} sectors ({formatBytes(stats.leafSectors * 512)}) in {stats.leafBlocks} blocks
              {stats.pendingWrites > 0 && <> · {stats.pendingWrites} writes being saved</>}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
