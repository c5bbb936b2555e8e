'use client';

import { ErrorMessage } from '@/app/components/error-message';
import { useState, type FormEvent } from 'react';
import { formatBytes } from '@/lib/format';
import type { BootSettings, PublishedImage } from '@/lib/images/manifest';
import { backingFileNameOf } from '@/lib/lab/disk-export';
import { importQcow2Workspace } from '@/lib/lab/disk-import';
import { workspaceNameProblem } from '@/lib/workspaces';

/**
 * "Import": a qcow2 overlay of this image (a Leaflab download, or one qemu-img made on the
 * root) becomes a new workspace. The file is checked whole before anything is created.
 */
export function ImportDiskForm({ image, settings, onImported }: { image: PublishedImage; settings: BootSettings; onImported(name: string): void }) {
  const [file, setFile] = useState<File>();
  const [name, setName] = useState('');
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<string>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return setError('Choose a .qcow2 file first.');
    const problem = workspaceNameProblem(name);
    if (problem) return setError(problem);
    setError(undefined);
    setProgress('Checking the file…');
    try {
      await importQcow2Workspace(image, file, name, settings, (bytes) => setProgress(`Importing… ${formatBytes(bytes)}`));
      onImported(name);
    } catch (importError) {
      setError(`Nothing was imported: ${(importError as Error).message}`);
    } finally {
      setProgress(undefined);
    }
  }

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} aria-label="Import a disk" data-testid="import-disk">
      <input type="file" accept=".qcow2,application/octet-stream" aria-label="qcow2 file" onChange={(event) => setFile(event.target.files?.[0])} />
      <input aria-label="Imported workspace name" placeholder="workspace name" value={name} onChange={(event) => setName(event.target.value)} />
      <button type="submit" disabled={progress !== undefined}>
        {progress ?? 'Import qcow2'}
      </button>
      <p className="meta">
        A qcow2 overlay of this image: backing file <code>{backingFileNameOf(image)}</code> (or <code>{image.sha256}.img</code>), raw format.
      </p>
      <ErrorMessage message={error} />
    </form>
  );
}
