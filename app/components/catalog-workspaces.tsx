'use client';

import { useEffect, useState } from 'react';
import { formatBytes } from '@/lib/format';
import { measureUnlistedLeaves, measureWorkspaces, takeLeafInventory, totalApproximateBytes, withWorkspaceRegistry } from '@/lib/workspaces';

interface ImageUsage {
  workspaceCount: number;
  bytes: number;
  /** Disks of this image that no workspace lists (the lab's Storage panel lists them). */
  unlistedCount: number;
  unlistedBytes: number;
}

/** On a catalog card: how many workspaces this browser has for the image, and what they store. */
export function CatalogWorkspaces({ imageId }: { imageId: string }) {
  const [usage, setUsage] = useState<ImageUsage>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    withWorkspaceRegistry((registry) => takeLeafInventory(registry, imageId))
      .then(({ workspaces, unlisted }) => Promise.all([measureWorkspaces(workspaces), measureUnlistedLeaves(unlisted)]))
      .then(([measured, measuredUnlisted]) => {
        if (cancelled) return;
        setUsage({
          workspaceCount: measured.length,
          bytes: totalApproximateBytes(measured),
          unlistedCount: measuredUnlisted.length,
          unlistedBytes: totalApproximateBytes(measuredUnlisted),
        });
      })
      .catch((loadError: unknown) => !cancelled && setError((loadError as Error).message));
    return () => {
      cancelled = true;
    };
  }, [imageId]);

  if (error) return <p className="meta">Workspaces: unknown ({error})</p>;
  if (!usage) return <p className="meta">Workspaces: counting…</p>;
  return (
    <p
      className="meta"
      data-testid="catalog-workspaces"
      data-workspace-count={usage.workspaceCount}
      data-bytes={usage.bytes}
      data-unlisted-count={usage.unlistedCount}
    >
      {usage.workspaceCount === 0
        ? 'No workspaces in this browser yet.'
        : `${usage.workspaceCount} workspace${usage.workspaceCount === 1 ? '' : 's'} in this browser · ${formatBytes(usage.bytes)} of changes stored`}
      {usage.unlistedCount > 0 &&
        ` · ${usage.unlistedCount} disk${usage.unlistedCount === 1 ? '' : 's'} no workspace lists (${formatBytes(usage.unlistedBytes)}; see Storage in the lab)`}
    </p>
  );
}
