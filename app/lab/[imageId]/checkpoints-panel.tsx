'use client';

import { ErrorMessage } from '@/app/components/error-message';
import { useState, type FormEvent } from 'react';
import { formatBytes, formatWhenShort } from '@/lib/format';
import type { PublishedImage } from '@/lib/images/manifest';
import { CHECKPOINT_NAME_MAX_LENGTH } from '@/lib/lab/checkpoint-save';
import type { LabSession } from '@/lib/lab/lab-session';
import { deleteCheckpoint, workspaceNameProblem, type CheckpointRecord, type WorkspaceRecord } from '@/lib/workspaces';
import { DeletionStatusLine, useDeletionStatus } from './deletion-status';
import { publishCheckpointChain } from '@/lib/lab/published-layers';
import type { PublishProgress } from '@/lib/layers/publish-layer';
import { useListingAction } from './use-listing-action';
import type { WorkspaceListing } from './use-workspaces';

interface CheckpointsPanelProps {
  image: PublishedImage;
  workspace: WorkspaceRecord;
  session: LabSession;
  listing: WorkspaceListing;
  onRestore(id: string, name: string): Promise<void>;
  onFork(id: string, workspaceName: string): Promise<void>;
}

const PUBLISH_PHASES: Record<PublishProgress['phase'], string> = {
  hashing: 'checking its blocks',
  uploading: 'uploading what the server does not have yet',
  committing: 'the server is checking the upload',
  published: 'published',
};

function describePublishProgress(name: string, progress: PublishProgress): string {
  const share = progress.totalBytes > 0 ? ` (${formatBytes(progress.doneBytes)} of ${formatBytes(progress.totalBytes)})` : '';
  return `Publishing "${name}": ${PUBLISH_PHASES[progress.phase]}${share}…`;
}

/** Which checkpoints the panel shows: this workspace's own, and those its disk stacks (a fork's, a share's). */
function checkpointsOf(listing: WorkspaceListing, workspace: WorkspaceRecord, session: LabSession): CheckpointRecord[] {
  const stacked = new Set((session.disk?.workspaceRecord?.layers ?? workspace.layers ?? []).map((layer) => layer.id));
  return listing.checkpoints.filter((checkpoint) => checkpoint.madeInStorageId === workspace.storageId || stacked.has(checkpoint.id));
}

/**
 * Checkpoints: save one (the disk freezes, the machine keeps running), restore one, make a
 * workspace from one (its layers are shared, not copied), publish one as a share link, delete one.
 */
export function CheckpointsPanel({ image, workspace, session, listing, onRestore, onFork }: CheckpointsPanelProps) {
  const [name, setName] = useState('');
  const [forking, setForking] = useState<{ id: string; name: string }>();
  const [shareLink, setShareLink] = useState<string>();
  /** What publishing is doing now, in words (it hashes, then uploads what the server lacks). */
  const [publishing, setPublishing] = useState<string>();
  const { busy, message, setMessage, act } = useListingAction(listing);
  const deletion = useDeletionStatus();
  const checkpoints = checkpointsOf(listing, workspace, session);
  const stacked = new Set((session.disk?.workspaceRecord?.layers ?? []).map((layer) => layer.id));

  function submitSave(event: FormEvent) {
    event.preventDefault();
    void act(async () => {
      await session.saveCheckpoint(name || `checkpoint ${checkpoints.length + 1}`);
      setName('');
    });
  }

  function submitFork(event: FormEvent) {
    event.preventDefault();
    if (!forking) return;
    const problem = workspaceNameProblem(forking.name);
    if (problem) return setMessage(problem);
    void act(async () => {
      await onFork(forking.id, forking.name);
      setForking(undefined);
    });
  }

  return (
    <section className="panel checkpoints" aria-labelledby="checkpoints-heading" data-testid="checkpoints-panel">
      <h2 id="checkpoints-heading">Checkpoints</h2>
      <form onSubmit={submitSave} className="inline-form">
        <input
          aria-label="Checkpoint name"
          placeholder={`checkpoint ${checkpoints.length + 1}`}
          maxLength={CHECKPOINT_NAME_MAX_LENGTH}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" disabled={busy || !session.disk?.device}>
          Save checkpoint
        </button>
      </form>
      {checkpoints.length === 0 ? (
        <p className="meta">No checkpoints yet. A checkpoint freezes the disk as it is now (instantly, the machine keeps running).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Saved</th>
              <th scope="col">Size</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {checkpoints.map((checkpoint) => (
              <tr key={checkpoint.id} data-checkpoint={checkpoint.name}>
                <td>
                  {checkpoint.name}
                  {stacked.has(checkpoint.id) && <span className="meta"> · under this disk</span>}
                  {checkpoint.madeInStorageId !== workspace.storageId && <span className="meta"> · from {checkpoint.madeInName}</span>}
                </td>
                <td>{formatWhenShort(checkpoint.createdAt, listing.measuredAtMs)}</td>
                <td>{formatBytes(checkpoint.sizeBytes)}</td>
                <td className="actions">
                  <button
                    type="button"
                    aria-label={`Restore ${checkpoint.name}`}
                    disabled={busy}
                    onClick={() => void act(() => onRestore(checkpoint.id, checkpoint.name))}
                  >
                    Restore
                  </button>
                  <button
                    type="button"
                    aria-label={`Make a workspace from ${checkpoint.name}`}
                    disabled={busy}
                    onClick={() => setForking({ id: checkpoint.id, name: '' })}
                  >
                    New workspace from here
                  </button>
                  <button
                    type="button"
                    aria-label={`Publish and share ${checkpoint.name}`}
                    disabled={busy}
                    onClick={() =>
                      void act(async () => {
                        setShareLink(undefined);
                        try {
                          const link = await publishCheckpointChain(image, checkpoint.id, workspace.settings, (progress) =>
                            setPublishing(describePublishProgress(checkpoint.name, progress)),
                          );
                          setShareLink(link);
                          await navigator.clipboard.writeText(link).catch(() => undefined);
                        } finally {
                          setPublishing(undefined);
                        }
                      })
                    }
                  >
                    Publish &amp; share
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Delete checkpoint ${checkpoint.name}`}
                    disabled={busy}
                    onClick={() => {
                      if (!window.confirm(`Delete checkpoint "${checkpoint.name}"? This cannot be undone.`)) return;
                      void act(() => deletion.track((options) => deleteCheckpoint(image.id, checkpoint.id, options), 'Checkpoint deleted.'));
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {forking && (
        <form onSubmit={submitFork} className="inline-form">
          <input
            aria-label="Name of the workspace to make"
            placeholder="workspace name"
            value={forking.name}
            onChange={(event) => setForking({ ...forking, name: event.target.value })}
          />
          <button type="submit" disabled={busy}>
            Create workspace
          </button>
          <button type="button" onClick={() => setForking(undefined)}>
            Cancel
          </button>
        </form>
      )}
      {publishing && (
        <p role="status" className="meta" data-testid="publish-progress">
          {publishing}
        </p>
      )}
      {shareLink && (
        <div className="share-result" role="status">
          <span>Published. Whoever opens this link gets a fresh workspace on this checkpoint; your later changes never reach them.</span>
          <input aria-label="Environment link" data-testid="environment-link" readOnly value={shareLink} onFocus={(event) => event.target.select()} />
        </div>
      )}
      <ErrorMessage message={message} />
      <DeletionStatusLine status={deletion.status} />
    </section>
  );
}
