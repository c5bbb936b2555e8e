/**
 * What a manifest says about a raw disk, read from the disk itself: its sha-256, the chunk table
 * (every chunk's sha-256), the run-length list of all-zero chunks (clients never fetch those, so
 * a chunk is listed only if every byte of it is zero) and the MBR's partitions with the
 * filesystem each holds. Used by the image builders and by `npm run image:add`; nothing in the
 * disk is trusted (the MBR parser clips entries to it).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseMbr } from '../../lib/disk/mbr';
import { SECTOR_SIZE_BYTES, type PartitionInfo } from '../../lib/images/manifest';
import { DiskDigester } from '../../lib/server/disk-digester';

export interface DiskScan {
  sizeBytes: number;
  sha256: string;
  chunkSizeBytes: number;
  zeroChunks: Array<[number, number]>;
  /** The chunk table (catalog/<id>/chunks.sha256): the SHA-256 of every chunk. */
  chunkTable: Buffer;
}

/** Reads the whole disk once. `onProgress` hears the bytes read so far (for multi-GiB disks). */
export function scanDisk(diskPath: string, chunkSizeBytes: number, onProgress?: (readBytes: number) => void): DiskScan {
  const fd = openSync(diskPath, 'r');
  try {
    const sizeBytes = fstatSync(fd).size;
    const digester = new DiskDigester(sizeBytes, chunkSizeBytes);
    // Read 8 MiB per call: one syscall per 64 KiB chunk would dominate on a 2 GiB disk.
    const buffer = Buffer.alloc(8 * 1024 * 1024);
    for (let offsetBytes = 0; offsetBytes < sizeBytes; ) {
      const readBytes = readSync(fd, buffer, 0, Math.min(buffer.length, sizeBytes - offsetBytes), offsetBytes);
      if (readBytes === 0) throw new Error(`${diskPath}: ended at ${offsetBytes} bytes while ${sizeBytes} were expected`);
      digester.update(buffer.subarray(0, readBytes));
      offsetBytes += readBytes;
      onProgress?.(offsetBytes);
    }
    const { sha256, zeroChunks, chunkTable } = digester.finish();
    return { sizeBytes, sha256, chunkSizeBytes, zeroChunks, chunkTable };
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, offsetBytes: number, lengthBytes: number): Buffer {
  const buffer = Buffer.alloc(lengthBytes);
  const readBytes = readSync(fd, buffer, 0, lengthBytes, offsetBytes);
  return buffer.subarray(0, readBytes);
}

/** The filesystem a partition (or a whole disk) starts with, from its superblock or boot sector. */
export function detectFilesystem(fd: number, startBytes: number): { type: string; label?: string } | undefined {
  const superblock = readAt(fd, startBytes + 1024, 1024);
  if (superblock.length === 1024 && superblock.readUInt16LE(56) === 0xef53) {
    const compat = superblock.readUInt32LE(92);
    const incompat = superblock.readUInt32LE(96);
    const EXTENTS = 0x40, FLEX_BG = 0x200, HAS_JOURNAL = 0x4;
    const type = incompat & (EXTENTS | FLEX_BG) ? 'ext4' : compat & HAS_JOURNAL ? 'ext3' : 'ext2';
    const label = superblock.subarray(120, 136).toString('latin1').replace(/\0.*$/s, '').trim();
    return { type, ...(label ? { label } : {}) };
  }
  const boot = readAt(fd, startBytes, 512);
  if (boot.length === 512 && boot[510] === 0x55 && boot[511] === 0xaa) {
    const fat1x = boot.subarray(54, 62).toString('latin1');
    const fat32 = boot.subarray(82, 90).toString('latin1');
    const [type, labelAt] = fat1x.startsWith('FAT16') ? ['FAT16', 43] : fat1x.startsWith('FAT12') ? ['FAT12', 43] : fat32.startsWith('FAT32') ? ['FAT32', 71] : [];
    if (type && labelAt) {
      const label = boot.subarray(labelAt, labelAt + 11).toString('latin1').trim();
      return { type, ...(label && label !== 'NO NAME' ? { label: label.toLowerCase() } : {}) };
    }
  }
  return undefined;
}

/** The MBR's primary partitions, each typed by the filesystem found in it (else the MBR type). */
export function readPartitions(diskPath: string): { partitions: PartitionInfo[]; warnings: string[] } {
  const fd = openSync(diskPath, 'r');
  try {
    const sizeBytes = fstatSync(fd).size;
    const layout = parseMbr(readAt(fd, 0, SECTOR_SIZE_BYTES), Math.floor(sizeBytes / SECTOR_SIZE_BYTES));
    const partitions = layout.partitions.map((partition): PartitionInfo => {
      const filesystem = detectFilesystem(fd, partition.firstSector * SECTOR_SIZE_BYTES);
      return {
        index: partition.index,
        type: filesystem?.type ?? partition.typeName,
        startSector: partition.firstSector,
        sectorCount: partition.sectorCount,
        ...(filesystem?.label ? { label: filesystem.label } : {}),
      };
    });
    return { partitions, warnings: layout.problem ? [] : layout.warnings };
  } finally {
    closeSync(fd);
  }
}
