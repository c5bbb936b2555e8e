'use client';

import { useCallback, useState } from 'react';
import type { LeafDeletionOptions } from '@/lib/workspaces';

/** A deletion that another tab held up: pending until it lets go, then done. */
export type DeletionStatus = { state: 'pending' | 'done'; text: string } | undefined;

/**
 * Tracks one deletion (reset, delete, remove) at a time. A deletion another connection blocks
 * is not a failure: the browser keeps it queued, so it shows as pending and, when the promise
 * resolves, as done. One that finishes at once shows nothing.
 */
export function useDeletionStatus() {
  const [status, setStatus] = useState<DeletionStatus>();
  const track = useCallback(async (run: (options: LeafDeletionOptions) => Promise<void>, doneText: string) => {
    setStatus(undefined);
    let wasPending = false;
    try {
      await run({
        onPending: (notice) => {
          wasPending = true;
          setStatus({ state: 'pending', text: notice });
        },
      });
    } catch (error) {
      setStatus(undefined);
      throw error;
    }
    setStatus(wasPending ? { state: 'done', text: doneText } : undefined);
  }, []);
  return { status, track };
}

export function DeletionStatusLine({ status }: { status: DeletionStatus }) {
  if (!status) return null;
  return (
    <p role="status" className="meta" data-testid="deletion-status" data-state={status.state}>
      {status.text}
    </p>
  );
}
