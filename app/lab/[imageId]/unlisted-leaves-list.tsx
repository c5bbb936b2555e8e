'use client';

import { ErrorMessage } from '@/app/components/error-message';
import { useState } from 'react';
import { formatBytes } from '@/lib/format';
import type { BootSettings } from '@/lib/images/manifest';
import { keepUnlistedLeaf, removeUnlistedLeaf, withWorkspaceRegistry, type UnlistedLeaf } from '@/lib/workspaces';
import { DeletionStatusLine, useDeletionStatus } from './deletion-status';
import { useListingAction } from './use-listing-action';
import type { WorkspaceListing } from './use-workspaces';

/**
 * The image's disks that no workspace lists, each with its size: kept as a workspace or
 * removed at the user's word, never silently (see lib/workspaces/unlisted-leaves.ts for why).
 * Renders nothing when there are none, which is the normal case.
 */
export function UnlistedLeavesList({ listing, imageDefaults }: { listing: WorkspaceListing; imageDefaults: BootSettings }) {
  const { busy, message, act } = useListingAction(listing);
  const [kept, setKept] = useState<string>();
  const deletion = useDeletionStatus();

  function keep(leaf: UnlistedLeaf) {
    setKept(undefined);
    void act(async () => {
      const record = await withWorkspaceRegistry((registry) => keepUnlistedLeaf(registry, leaf, imageDefaults));
      setKept(`Kept as workspace "${record.name}": open it under Workspaces.`);
    });
  }

  function remove(leaf: UnlistedLeaf) {
    const confirmed = window.confirm(`Remove the disk ${leaf.storageId}? Every change stored in it is discarded. This cannot be undone.`);
    if (!confirmed) return;
    setKept(undefined);
    void act(() =>
      deletion.track(
        (options) => withWorkspaceRegistry((registry) => removeUnlistedLeaf(registry, leaf, options)),
        `The disk ${leaf.storageId} is removed.`,
      ),
    );
  }

  // Stays after the last one is gone while it has something to say about it.
  if (listing.unlisted.length === 0 && !deletion.status && !message && !kept) return null;
  return (
    <div className="unlisted-leaves" data-testid="unlisted-leaves">
      <h3>Disks no workspace lists</h3>
      <p className="meta">
        Left by a Leaflab from before workspaces, or by a workspace deleted while another tab was opening it. They may hold
        changes: keep one as a workspace to boot it, or remove it to free its space.
      </p>
      <ul>
        {listing.unlisted.map(({ leaf, usage }) => {
          const inUse = listing.inUse.has(leaf.storageId);
          return (
            <li key={leaf.databaseName} data-storage-id={leaf.storageId}>
              <code>{leaf.storageId}</code>
              {leaf.fromBeforeWorkspaces && ' (the disk of a lab from before workspaces)'} · {usage ? formatBytes(usage.approximateBytes) : 'size unknown'}
              {inUse && <span className="tag">open in another tab</span>}
              <span className="row-actions">
                <button type="button" onClick={() => keep(leaf)} disabled={busy || inUse}>
                  Keep as workspace<span className="visually-hidden"> {leaf.storageId}</span>
                </button>
                <button type="button" className="danger" onClick={() => remove(leaf)} disabled={busy || inUse}>
                  Remove<span className="visually-hidden"> {leaf.storageId}</span>
                </button>
              </span>
            </li>
          );
        })}
      </ul>
      {kept && <p role="status">{kept}</p>}
      <DeletionStatusLine status={deletion.status} />
      <ErrorMessage message={message} />
    </div>
  );
}
