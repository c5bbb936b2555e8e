/**
 * The fuzz harness of the qcow2 import: where a file's metadata lives (found independently of
 * the library, with a DataView) and what happens when a mutated file is imported.
 */
import { expect } from 'vitest';
import { openQcow2Overlay, Qcow2ImportError, type Qcow2ImportExpectation } from '@/lib/qcow2';
import { applyOverlay, memoryFile } from './qcow2';

export interface MetadataRegion {
  kind: 'header' | 'l1' | 'refcount-table' | 'refcount-block' | 'l2';
  offsetBytes: number;
  lengthBytes: number;
}

export interface FileAnatomy {
  clusterBytes: number;
  extendedL2: boolean;
  regions: MetadataRegion[];
  /** Offsets of the L1 entries that point at L2 tables, and of the L2 entries that point at data. */
  l1EntryOffsets: number[];
  l2EntryOffsets: number[];
  /** Where the last metadata region ends: truncating the file before it must be refused. */
  metadataEndBytes: number;
}

function u64(view: DataView, offset: number): number {
  return view.getUint32(offset) * 2 ** 32 + view.getUint32(offset + 4);
}

const OFFSET_MASK_HIGH = 0x00ffffff;

function entryOffset(view: DataView, offset: number): number {
  return (view.getUint32(offset) & OFFSET_MASK_HIGH) * 2 ** 32 + ((view.getUint32(offset + 4) & ~0x1ff) >>> 0);
}

export function anatomyOf(bytes: Uint8Array): FileAnatomy {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const clusterBytes = 2 ** view.getUint32(20);
  const extendedL2 = (view.getUint32(76) & 16) !== 0;
  const l1Size = view.getUint32(36);
  const l1Offset = u64(view, 40);
  const refcountTableOffset = u64(view, 48);
  const refcountTableBytes = view.getUint32(56) * clusterBytes;
  const regions: MetadataRegion[] = [
    { kind: 'header', offsetBytes: 0, lengthBytes: 1024 },
    { kind: 'l1', offsetBytes: l1Offset, lengthBytes: l1Size * 8 },
    { kind: 'refcount-table', offsetBytes: refcountTableOffset, lengthBytes: refcountTableBytes },
  ];
  for (let entry = 0; entry < refcountTableBytes; entry += 8) {
    const block = entryOffset(view, refcountTableOffset + entry);
    if (block !== 0) regions.push({ kind: 'refcount-block', offsetBytes: block, lengthBytes: clusterBytes });
  }
  const l1EntryOffsets: number[] = [];
  const l2EntryOffsets: number[] = [];
  const entryBytes = extendedL2 ? 16 : 8;
  for (let index = 0; index < l1Size; index += 1) {
    const table = entryOffset(view, l1Offset + index * 8);
    if (table === 0) continue;
    l1EntryOffsets.push(l1Offset + index * 8);
    regions.push({ kind: 'l2', offsetBytes: table, lengthBytes: clusterBytes });
    for (let entry = table; entry < table + clusterBytes; entry += entryBytes) {
      if (entryOffset(view, entry) !== 0) l2EntryOffsets.push(entry);
    }
  }
  const metadataEndBytes = Math.max(...regions.map((region) => region.offsetBytes + region.lengthBytes));
  return { clusterBytes, extendedL2, regions, l1EntryOffsets, l2EntryOffsets, metadataEndBytes };
}

export type ImportOutcome = { accepted: true } | { accepted: false; message: string };

/** Per case: opening and reading every block must finish well within this. */
const CASE_TIME_LIMIT_MS = 3_000;

/**
 * Opens the file and, when accepted, reads every leaf block; anything thrown other than a
 * Qcow2ImportError with a message fails the calling test with the case's description.
 */
export async function importOutcome(bytes: Uint8Array, expectation: Qcow2ImportExpectation, root: Uint8Array, description: string): Promise<ImportOutcome> {
  const started = Date.now();
  try {
    const overlay = await openQcow2Overlay(memoryFile(bytes), expectation);
    await applyOverlay(root, overlay);
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof Qcow2ImportError)) throw new Error(`${description}: threw ${String(error)} instead of a Qcow2ImportError`, { cause: error });
    expect(error.message.length, description).toBeGreaterThan(20);
    return { accepted: false, message: error.message };
  } finally {
    expect(Date.now() - started, `${description}: took too long`).toBeLessThan(CASE_TIME_LIMIT_MS);
  }
}
