'use client';

import { useEffect, useState } from 'react';
import { formatBytes } from '@/lib/format';
import type { DiskStats, LabSession } from '@/lib/lab/lab-session';

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
        <dd>
          {stats.diskMode === 'v86-async'
            ? "v86's async Range disk: the guest's writes stay in this tab's memory and are gone after a reload"
            : stats.diskMode}
        </dd>
        <dt>Fetched</dt>
        <dd data-testid="stat-bytes-fetched">
          {formatBytes(stats.bytesFetched)} in {stats.requests} requests
        </dd>
        <dt>Guest reads</dt>
        <dd>
          {stats.reads} ({formatBytes(stats.bytesRead)})
        </dd>
        <dt>Guest writes</dt>
        <dd>
          {stats.writes} ({formatBytes(stats.bytesWritten)})
        </dd>
      </dl>
    </section>
  );
}
