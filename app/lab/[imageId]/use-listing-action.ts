'use client';

import { useState } from 'react';
import type { WorkspaceListing } from './use-workspaces';

/**
 * One action at a time on the workspace listing (create, rename, delete, keep, remove): busy
 * while it runs, its error in words after, and the listing re-read once it succeeded.
 */
export function useListingAction(listing: WorkspaceListing) {
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function act(action: () => Promise<void>) {
    setBusy(true);
    setMessage(undefined);
    try {
      await action();
      listing.refresh();
    } catch (error) {
      setMessage((error as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return { busy, message, setMessage, act };
}
