/**
 * "Import": a qcow2 overlay of this lab's root (one Leaflab exported, or one `qemu-img create
 * -b <root> -F raw` made and QEMU wrote) becomes a new workspace. The file is checked whole
 * first — header, tables, bounds, the backing image's identity (lib/qcow2/import.ts) — and only
 * then is anything created: a corrupt, truncated or hostile file gets a message, and neither a
 * workspace nor any existing data is touched. If writing the new leaf fails (a full quota),
 * the half-made workspace is deleted again.
 */
import { DEFAULT_BLOCK_SIZE_BYTES, IdbLeafStore, SECTOR_SIZE_BYTES, type LeafMeta } from '../disk';
import type { BootSettings, PublishedImage } from '../images/manifest';
import { openQcow2Overlay, overlayLeafBlocks, type RandomAccessFile } from '../qcow2';
import { deleteWorkspace } from '../workspaces/workspace-actions';
import { assertWorkspaceName } from '../workspaces/workspace-name';
import { withWorkspaceRegistry, type WorkspaceRecord } from '../workspaces/workspace-registry';
import { backingFileNameOf } from './disk-export';

/** A File or Blob read by ranges: the browser never holds the whole file. */
export function blobFile(blob: Blob): RandomAccessFile {
  return {
    sizeBytes: blob.size,
    read: async (offsetBytes, lengthBytes) => new Uint8Array(await blob.slice(offsetBytes, offsetBytes + lengthBytes).arrayBuffer()),
  };
}

/** The backing file names that mean this lab's root: the export's name and the server's file name. */
export function acceptedBackingNames(image: Pick<PublishedImage, 'id' | 'sha256'>): string[] {
  return [backingFileNameOf(image), `${image.sha256}.img`];
}

export async function importQcow2Workspace(
  image: PublishedImage,
  file: Blob,
  workspaceName: string,
  settings: BootSettings,
  onProgress?: (importedBytes: number) => void,
): Promise<WorkspaceRecord> {
  assertWorkspaceName(workspaceName);
  const overlay = await openQcow2Overlay(blobFile(file), { sizeBytes: image.sizeBytes, backingFileNames: acceptedBackingNames(image) });
  const record = await withWorkspaceRegistry((registry) => registry.create(image.id, workspaceName, settings));
  const store = new IdbLeafStore({ imageId: image.id, storageId: record.storageId, workspaceName });
  const meta: LeafMeta = {
    formatVersion: 1,
    root: { id: image.id, sizeBytes: image.sizeBytes, sha256: image.sha256 },
    sectorSizeBytes: SECTOR_SIZE_BYTES,
    blockSizeBytes: DEFAULT_BLOCK_SIZE_BYTES,
    createdAt: Date.now(),
  };
  try {
    await store.open();
    let importedBytes = 0;
    let first = true;
    for await (const records of overlayLeafBlocks(overlay, DEFAULT_BLOCK_SIZE_BYTES)) {
      await store.writeBlocks(records, first ? meta : undefined);
      first = false;
      importedBytes += records.length * DEFAULT_BLOCK_SIZE_BYTES;
      onProgress?.(importedBytes);
    }
    store.close();
    return record;
  } catch (error) {
    store.close();
    await withWorkspaceRegistry((registry) => deleteWorkspace(registry, record)).catch(() => undefined);
    throw error;
  }
}
