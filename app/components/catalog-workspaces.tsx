'use client';

import { useEffect, useState } from 'react';
import { formatBytes } from '@/lib/format';
import { measureWorkspaces, totalApproximateBytes, withWorkspaceRegistry } from '@/lib/workspaces';

interface ImageUsage {
  workspaceCount: number;
  bytes: number;
}

/** On a catalog card: how many workspaces this browser has for the image, and what they store. */
export function CatalogWorkspaces({ imageId }: { imageId: string }) {
  const [usage, setUsage] = useState<ImageUsage>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    withWorkspaceRegistry((registry) => registry.list(imageId))
      .then(measureWorkspaces)
      .then((measured) => {
        if (cancelled) return;
        setUsage({ workspaceCount: measured.length, bytes: totalApproximateBytes(measured) });
      })
      .catch((loadError: unknown) => !cancelled && setError((loadError as Error).message));
    return () => {
      cancelled = true;
    };
  }, [imageId]);

  if (error) return <p className="meta">Workspaces: unknown ({error})</p>;
  if (!usage) return <p className="meta">Workspaces: counting…</p>;
  return (
    <p className="meta" data-testid="catalog-workspaces" data-workspace-count={usage.workspaceCount} data-bytes={usage.bytes}>
      {usage.workspaceCount === 0
        ? 'No workspaces in this browser yet.'
        : `${usage.workspaceCount} workspace${usage.workspaceCount === 1 ? '' : 's'} in this browser · ${formatBytes(usage.bytes)} of changes stored`}
    </p>
  );
}
