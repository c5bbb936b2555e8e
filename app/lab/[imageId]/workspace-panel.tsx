'use client';

import { ErrorMessage } from '@/app/components/error-message';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { formatBytes, formatWhenShort } from '@/lib/format';
import { WORKSPACE_NAME_MAX_LENGTH, workspaceNameProblem, type LeafDeletionOptions, type WorkspaceRecord } from '@/lib/workspaces';
import { DeletionStatusLine, useDeletionStatus } from './deletion-status';
import { useListingAction } from './use-listing-action';
import type { WorkspaceListing } from './use-workspaces';

interface WorkspacePanelProps {
  current: WorkspaceRecord | undefined;
  listing: WorkspaceListing;
  hrefOf(name: string): string;
  onCreate(name: string): Promise<void>;
  onRename(record: WorkspaceRecord, newName: string): Promise<void>;
  /** Resolves when the workspace is gone; `options.onPending` hears if another tab holds its disk. */
  onDelete(record: WorkspaceRecord, options: LeafDeletionOptions): Promise<void>;
}

/** The image's workspaces: switch, create, rename, delete; each with its size and last use. */
export function WorkspacePanel({ current, listing, hrefOf, onCreate, onRename, onDelete }: WorkspacePanelProps) {
  const [newName, setNewName] = useState('');
  const [renaming, setRenaming] = useState<{ record: WorkspaceRecord; name: string }>();
  const { busy, message, setMessage, act } = useListingAction(listing);
  const deletion = useDeletionStatus();

  function submitNew(event: FormEvent) {
    event.preventDefault();
    const problem = workspaceNameProblem(newName);
    if (problem) return setMessage(problem);
    void act(async () => {
      await onCreate(newName);
      setNewName('');
    });
  }

  function submitRename(event: FormEvent) {
    event.preventDefault();
    if (!renaming) return;
    const problem = workspaceNameProblem(renaming.name);
    if (problem) return setMessage(problem);
    void act(async () => {
      await onRename(renaming.record, renaming.name);
      setRenaming(undefined);
    });
  }

  function confirmDelete(record: WorkspaceRecord) {
    const confirmed = window.confirm(
      `Delete workspace "${record.name}"? Every change made in it is discarded and its storage is freed. This cannot be undone.`,
    );
    if (confirmed) void act(() => deletion.track((options) => onDelete(record, options), `Workspace "${record.name}" is deleted.`));
  }

  return (
    <section className="panel workspaces" aria-labelledby="workspaces-heading" data-testid="workspace-panel">
      <h2 id="workspaces-heading">Workspaces</h2>
      <p className="meta">Each workspace is its own disk on top of the same image: changes in one are never seen in another.</p>
      <ErrorMessage message={listing.error} />
      <table className="workspace-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Changes stored</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {listing.workspaces.map(({ record, usage }) => {
            const isCurrent = record.storageId === current?.storageId;
            const elsewhere = !isCurrent && listing.inUse.has(record.storageId);
            return (
              <tr key={record.storageId} data-workspace={record.name} aria-current={isCurrent ? 'true' : undefined}>
                <td>
                  {renaming?.record.storageId === record.storageId ? (
                    <form onSubmit={submitRename} className="inline-form">
                      <label className="visually-hidden" htmlFor="rename-input">
                        New name for {record.name}
                      </label>
                      <input
                        id="rename-input"
                        value={renaming.name}
                        maxLength={WORKSPACE_NAME_MAX_LENGTH}
                        onChange={(event) => setRenaming({ record, name: event.target.value.trim() })}
                        autoFocus
                      />
                      <button type="submit" disabled={busy}>
                        Save
                      </button>
                      <button type="button" onClick={() => setRenaming(undefined)}>
                        Cancel
                      </button>
                    </form>
                  ) : isCurrent ? (
                    <strong>{record.name}</strong>
                  ) : (
                    <Link href={hrefOf(record.name)}>{record.name}</Link>
                  )}
                  {isCurrent && <span className="tag">this tab</span>}
                  {elsewhere && <span className="tag">open in another tab</span>}
                </td>
                <td data-testid="workspace-size">{usage ? formatBytes(usage.approximateBytes) : 'unknown'}</td>
                <td>
                  <time
                    dateTime={new Date(record.lastUsedAt).toISOString()}
                    title={new Date(record.lastUsedAt).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' })}
                  >
                    {formatWhenShort(record.lastUsedAt, listing.measuredAtMs)}
                  </time>
                </td>
                <td className="row-actions">
                  <button type="button" onClick={() => setRenaming({ record, name: record.name })} disabled={busy || elsewhere}>
                    Rename<span className="visually-hidden"> {record.name}</span>
                  </button>
                  <button type="button" className="danger" onClick={() => confirmDelete(record)} disabled={busy || elsewhere}>
                    Delete<span className="visually-hidden"> {record.name}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form onSubmit={submitNew} className="inline-form">
        <label htmlFor="new-workspace">New workspace</label>
        <input
          id="new-workspace"
          value={newName}
          placeholder="e.g. week-2"
          maxLength={WORKSPACE_NAME_MAX_LENGTH}
          onChange={(event) => setNewName(event.target.value.trim())}
        />
        <button type="submit" disabled={busy || newName === ''}>
          Create and open
        </button>
      </form>
      <DeletionStatusLine status={deletion.status} />
      <ErrorMessage message={message} />
    </section>
  );
}
