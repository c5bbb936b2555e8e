'use client';

import { useCallback, useEffect, useState } from 'react';
import {
  measureUnlistedLeaves,
  measureWorkspaces,
  takeLeafInventory,
  withWorkspaceRegistry,
  workspacesInUse,
  type MeasuredUnlistedLeaf,
  type CheckpointRecord,
  type MeasuredWorkspace,
} from '@/lib/workspaces';

export interface WorkspaceListing {
  workspaces: MeasuredWorkspace[];
  /** The image's checkpoints, oldest first; each stored once, however many workspaces stack it. */
  checkpoints: CheckpointRecord[];
  /** Leaf databases of this image that no workspace lists (see lib/workspaces/unlisted-leaves.ts). */
  unlisted: MeasuredUnlistedLeaf[];
  /** Storage ids open in some tab of this browser now. */
  inUse: Set<string>;
  error: string | undefined;
  /** When the list was last read (epoch ms): "now" for showing how long ago things happened. */
  measuredAtMs: number;
  refresh(): void;
}

/** How often the list re-measures (sizes grow while the guest writes). */
const REFRESH_INTERVAL_MS = 5000;

/** This image's workspaces and unlisted leaves with their sizes, refreshed every few seconds and after each action. */
export function useWorkspaces(imageId: string): WorkspaceListing {
  const [workspaces, setWorkspaces] = useState<MeasuredWorkspace[]>([]);
  const [unlisted, setUnlisted] = useState<MeasuredUnlistedLeaf[]>([]);
  const [checkpoints, setCheckpoints] = useState<CheckpointRecord[]>([]);
  const [inUse, setInUse] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string>();
  const [measuredAtMs, setMeasuredAtMs] = useState(0);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      try {
        const [inventory, checkpointList] = await withWorkspaceRegistry((registry) =>
          Promise.all([takeLeafInventory(registry, imageId), registry.checkpoints.list(imageId)]),
        );
        const [measured, measuredUnlisted, used] = await Promise.all([
          measureWorkspaces(inventory.workspaces),
          measureUnlistedLeaves(inventory.unlisted),
          workspacesInUse(imageId),
        ]);
        if (cancelled) return;
        setWorkspaces(measured);
        setUnlisted(measuredUnlisted);
        setCheckpoints(checkpointList);
        setInUse(used);
        setMeasuredAtMs(Date.now());
        setError(undefined);
      } catch (loadError) {
        if (!cancelled) setError((loadError as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_INTERVAL_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [imageId, tick]);

  return { workspaces, checkpoints, unlisted, inUse, error, measuredAtMs, refresh };
}
