/**
 * "Download disk": the merged disk (every layer over the root) as a file, for a student to keep
 * their work or to open it elsewhere (QEMU, a loop mount), in two formats:
 *   raw    the whole disk, byte for byte;
 *   qcow2  an overlay holding only the sectors the layers hold, whose backing file is the root
 *          image (lib/qcow2/export.ts: extended L2, backing file by name, the URL noted).
 * Both read the disk piece by piece with `peek` (not counted as guest I/O, past the guest's
 * cache), and each piece is handed to the browser as a Blob part at once: the page holds one
 * piece at a time, never the disk (the browser's blob storage keeps the parts and moves large
 * ones to disk), where the earlier export held every piece and then the Blob, twice the disk.
 */
import type { UnionDevice } from '../disk';
import { planQcow2Export, type SectorRun } from '../qcow2';

/** 4 MiB: few enough pieces for a Blob, small enough that progress moves. */
const EXPORT_PIECE_BYTES = 4 * 1024 * 1024;

export type DiskExportFormat = 'raw' | 'qcow2';

export interface DiskExportPlan {
  sizeBytes: number;
  pieces(signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

type ExportedDevice = Pick<UnionDevice, 'sizeBytes' | 'sectorCount' | 'peek' | 'layerIdOfSector'>;

export function rawExportPlan(device: Pick<UnionDevice, 'sizeBytes' | 'peek'>): DiskExportPlan {
  return {
    sizeBytes: device.sizeBytes,
    async *pieces(signal) {
      for (let offsetBytes = 0; offsetBytes < device.sizeBytes; offsetBytes += EXPORT_PIECE_BYTES) {
        yield await device.peek(offsetBytes, Math.min(EXPORT_PIECE_BYTES, device.sizeBytes - offsetBytes), signal);
      }
    },
  };
}

/** The qcow2 file's backing name for a root: `<imageId>-<first 12 hex of its sha256>.img`. */
export function backingFileNameOf(root: { id: string; sha256: string }): string {
  return `${root.id}-${root.sha256.slice(0, 12)}.img`;
}

/** Runs of the sectors some layer above the root holds (what a qcow2 overlay must store). */
export function overlaySectorRuns(device: Pick<UnionDevice, 'sectorCount' | 'layerIdOfSector'>): SectorRun[] {
  const runs: Array<[number, number]> = [];
  for (let sector = 0; sector < device.sectorCount; sector += 1) {
    const layerId = device.layerIdOfSector(sector);
    if (layerId === 'root' || layerId === 'zero') continue;
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === sector) last[1] += 1;
    else runs.push([sector, 1]);
  }
  return runs;
}

export function qcow2ExportPlan(device: ExportedDevice, root: { id: string; sha256: string }, rootUrl: string): DiskExportPlan {
  return planQcow2Export(
    { sizeBytes: device.sizeBytes, sectorRuns: overlaySectorRuns(device), read: (offsetBytes, lengthBytes) => device.peek(offsetBytes, lengthBytes) },
    { backingFileName: backingFileNameOf(root), backingUrl: rootUrl },
  );
}

/** The plan's file as a Blob, built one piece at a time. */
export async function exportToBlob(
  plan: DiskExportPlan,
  onProgress: (copiedBytes: number, totalBytes: number) => void,
  signal?: AbortSignal,
): Promise<Blob> {
  const parts: Blob[] = [];
  let copiedBytes = 0;
  for await (const piece of plan.pieces(signal)) {
    parts.push(new Blob([piece as BlobPart]));
    copiedBytes += piece.length;
    onProgress(copiedBytes, plan.sizeBytes);
  }
  if (copiedBytes !== plan.sizeBytes) throw new Error(`The export made ${copiedBytes} bytes where ${plan.sizeBytes} were planned.`);
  return new Blob(parts, { type: 'application/octet-stream' });
}

/** The raw disk as a Blob (kept for callers that only want raw). */
export function exportDiskImage(
  device: Pick<UnionDevice, 'sizeBytes' | 'peek'>,
  onProgress: (copiedBytes: number, totalBytes: number) => void,
  signal?: AbortSignal,
): Promise<Blob> {
  return exportToBlob(rawExportPlan(device), onProgress, signal);
}
