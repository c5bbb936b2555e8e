/**
 * The four primary entries of a master boot record (sector 0), for display: the block map
 * labels the disk's partitions with them. Sector 0 is the guest's to rewrite (fdisk), so
 * nothing in it is trusted: no 0x55AA signature means no table at all, and an entry that
 * reaches past the disk is clipped to it (or dropped when it starts outside), with a note.
 * Extended partitions are shown as one region; the logical partitions inside are not read.
 */
import { SECTOR_SIZE_BYTES } from './leaf-store';

/** Partition type bytes seen on PC disks, and what people call them. */
export const MBR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x01: 'FAT12',
  0x04: 'FAT16 (<32 MiB)',
  0x05: 'Extended',
  0x06: 'FAT16',
  0x07: 'NTFS/exFAT',
  0x0b: 'FAT32',
  0x0c: 'FAT32 (LBA)',
  0x0e: 'FAT16 (LBA)',
  0x0f: 'Extended (LBA)',
  0x82: 'Linux swap',
  0x83: 'Linux',
  0x85: 'Linux extended',
  0x8e: 'Linux LVM',
  0xa5: 'FreeBSD',
  0xee: 'GPT protective',
  0xef: 'EFI system',
  0xfd: 'Linux RAID',
};

export interface MbrPartition {
  /** Entry number in the table, as fdisk shows it (sda1..sda4). */
  index: 1 | 2 | 3 | 4;
  typeByte: number;
  /** A human name for the type, or "type 0x42" for one this table does not know. */
  typeName: string;
  firstSector: number;
  /** After clipping to the disk. */
  sectorCount: number;
  /** firstSector + sectorCount (exclusive). */
  endSector: number;
  bootable: boolean;
  /** The entry claimed more sectors than the disk has after its start. */
  clipped: boolean;
}

export interface MbrLayout {
  /** Usable primary partitions in table order (empty entries and entries outside the disk left out). */
  partitions: MbrPartition[];
  /** Why no table was read at all (then `partitions` is empty); undefined when one was. */
  problem: string | undefined;
  /** Entries not taken as written: dropped or clipped. One sentence each. */
  warnings: string[];
}

const SIGNATURE_OFFSET = 510;
const TABLE_OFFSET = 446;
const ENTRY_BYTES = 16;

export function parseMbr(sector0: Uint8Array, diskSectorCount: number): MbrLayout {
  if (sector0.length < SECTOR_SIZE_BYTES) {
    return noTable(`sector 0 is ${sector0.length} bytes, not a whole ${SECTOR_SIZE_BYTES}-byte sector`);
  }
  if (sector0[SIGNATURE_OFFSET] !== 0x55 || sector0[SIGNATURE_OFFSET + 1] !== 0xaa) {
    return noTable('sector 0 has no 0x55AA boot signature, so it holds no partition table');
  }
  const view = new DataView(sector0.buffer, sector0.byteOffset, SECTOR_SIZE_BYTES);
  const partitions: MbrPartition[] = [];
  const warnings: string[] = [];
  for (const index of [1, 2, 3, 4] as const) {
    const at = TABLE_OFFSET + (index - 1) * ENTRY_BYTES;
    const status = view.getUint8(at);
    const typeByte = view.getUint8(at + 4);
    const firstSector = view.getUint32(at + 8, true);
    const claimedSectors = view.getUint32(at + 12, true);
    if (typeByte === 0 || claimedSectors === 0) continue; // an unused entry
    const name = `partition ${index} (${typeNameOf(typeByte)})`;
    if (firstSector === 0) {
      warnings.push(`${name} starts at sector 0, over the partition table itself; left out.`);
      continue;
    }
    if (firstSector >= diskSectorCount) {
      warnings.push(`${name} starts at sector ${firstSector}, past the end of the ${diskSectorCount}-sector disk; left out.`);
      continue;
    }
    const sectorCount = Math.min(claimedSectors, diskSectorCount - firstSector);
    const clipped = sectorCount < claimedSectors;
    if (clipped) {
      warnings.push(
        `${name} claims ${claimedSectors} sectors from sector ${firstSector}, past the end of the disk; shown up to the disk's end.`,
      );
    }
    if (status !== 0x00 && status !== 0x80) {
      warnings.push(`${name} has an invalid boot flag 0x${hex(status)}; shown as not bootable.`);
    }
    partitions.push({
      index,
      typeByte,
      typeName: typeNameOf(typeByte),
      firstSector,
      sectorCount,
      endSector: firstSector + sectorCount,
      bootable: status === 0x80,
      clipped,
    });
  }
  return { partitions, problem: undefined, warnings };
}

/** "#1 FAT16 (LBA)": how the map labels a partition. */
export function partitionLabel(partition: MbrPartition): string {
  return `#${partition.index} ${partition.typeName}`;
}

/** The partitions that hold at least one sector of [firstSector, endSector). */
export function partitionsOverlapping(layout: MbrLayout, firstSector: number, endSector: number): MbrPartition[] {
  return layout.partitions.filter((p) => p.firstSector < endSector && firstSector < p.endSector);
}

export function typeNameOf(typeByte: number): string {
  return MBR_TYPE_NAMES[typeByte] ?? `type 0x${hex(typeByte)}`;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function noTable(problem: string): MbrLayout {
  return { partitions: [], problem, warnings: [] };
}
