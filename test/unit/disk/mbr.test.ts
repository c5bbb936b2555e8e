import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMbr, partitionLabel, partitionsOverlapping, typeNameOf } from '@/lib/disk/mbr';

interface Entry {
  status?: number;
  typeByte: number;
  firstSector: number;
  sectorCount: number;
}

/** Sector 0 with the given primary entries (slot i = entry i+1) and, unless told not to, the signature. */
function mbr(entries: Array<Entry | undefined>, signature = true): Uint8Array {
  const sector = new Uint8Array(512);
  sector.fill(0x90, 0, 446); // boot code must not matter
  const view = new DataView(sector.buffer);
  entries.forEach((entry, i) => {
    if (!entry) return;
    const at = 446 + i * 16;
    view.setUint8(at, entry.status ?? 0);
    view.setUint8(at + 4, entry.typeByte);
    view.setUint32(at + 8, entry.firstSector, true);
    view.setUint32(at + 12, entry.sectorCount, true);
  });
  if (signature) sector.set([0x55, 0xaa], 510);
  return sector;
}

const DISK = 262_144; // 128 MiB

describe('parseMbr', () => {
  it('reads the layout the image builder writes: a bootable FAT16 and a Linux partition', () => {
    const layout = parseMbr(
      mbr([
        { status: 0x80, typeByte: 0x0e, firstSector: 2048, sectorCount: 63_488 },
        { typeByte: 0x83, firstSector: 65_536, sectorCount: DISK - 65_536 },
      ]),
      DISK,
    );
    expect(layout.problem).toBeUndefined();
    expect(layout.warnings).toEqual([]);
    expect(layout.partitions).toEqual([
      { index: 1, typeByte: 0x0e, typeName: 'FAT16 (LBA)', firstSector: 2048, sectorCount: 63_488, endSector: 65_536, bootable: true, clipped: false },
      { index: 2, typeByte: 0x83, typeName: 'Linux', firstSector: 65_536, sectorCount: DISK - 65_536, endSector: DISK, bootable: false, clipped: false },
    ]);
    expect(layout.partitions.map(partitionLabel)).toEqual(['#1 FAT16 (LBA)', '#2 Linux']);
  });

  it('keeps the entry numbers, skipping empty entries (type 0 or no sectors)', () => {
    const layout = parseMbr(
      mbr([
        undefined,
        { typeByte: 0x0c, firstSector: 63, sectorCount: 100 },
        { typeByte: 0x83, firstSector: 200, sectorCount: 0 },
        { typeByte: 0x82, firstSector: 300, sectorCount: 50 },
      ]),
      DISK,
    );
    expect(layout.partitions.map((p) => [p.index, p.typeName])).toEqual([
      [2, 'FAT32 (LBA)'],
      [4, 'Linux swap'],
    ]);
  });

  it('names the common types and shows unknown ones by number', () => {
    expect(typeNameOf(0x06)).toBe('FAT16');
    expect(typeNameOf(0x0b)).toBe('FAT32');
    expect(typeNameOf(0x05)).toBe('Extended');
    expect(typeNameOf(0x0f)).toBe('Extended (LBA)');
    expect(typeNameOf(0xee)).toBe('GPT protective');
    expect(typeNameOf(0x42)).toBe('type 0x42');
  });

  it('reads no table without the 0x55AA signature, and says why', () => {
    const layout = parseMbr(mbr([{ typeByte: 0x83, firstSector: 2048, sectorCount: 1000 }], false), DISK);
    expect(layout.partitions).toEqual([]);
    expect(layout.problem).toMatch(/0x55AA/);
    expect(parseMbr(new Uint8Array(256), DISK).problem).toMatch(/not a whole 512-byte sector/);
  });

  it('never trusts an entry past the disk: clips one that runs over, drops one that starts outside', () => {
    const layout = parseMbr(
      mbr([
        { typeByte: 0x83, firstSector: 1000, sectorCount: 0xffff_ffff },
        { typeByte: 0x83, firstSector: DISK, sectorCount: 10 },
        { typeByte: 0x83, firstSector: 0, sectorCount: 10 },
        { status: 0x12, typeByte: 0xee, firstSector: 1, sectorCount: 10 },
      ]),
      DISK,
    );
    expect(layout.partitions.map((p) => [p.index, p.firstSector, p.endSector, p.clipped, p.bootable])).toEqual([
      [1, 1000, DISK, true, false],
      [4, 1, 11, false, false],
    ]);
    expect(layout.warnings).toHaveLength(4);
    expect(layout.warnings.join(' ')).toMatch(/partition 2 .*past the end/);
    expect(layout.warnings.join(' ')).toMatch(/partition 3 .*sector 0/);
    expect(layout.warnings.join(' ')).toMatch(/invalid boot flag 0x12/);
  });

  it('whatever sector 0 holds, every partition lies inside the disk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), fc.integer({ min: 1, max: 2 ** 33 }), (sector0, diskSectors) => {
        sector0.set([0x55, 0xaa], 510);
        const { partitions } = parseMbr(sector0, diskSectors);
        for (const p of partitions) {
          expect(p.firstSector).toBeGreaterThan(0);
          expect(p.sectorCount).toBeGreaterThan(0);
          expect(p.endSector).toBe(p.firstSector + p.sectorCount);
          expect(p.endSector).toBeLessThanOrEqual(diskSectors);
        }
      }),
    );
  });

  it('reads sector 0 from a view into a larger buffer', () => {
    const buffer = new Uint8Array(2048);
    buffer.set(mbr([{ typeByte: 0x83, firstSector: 8, sectorCount: 8 }]), 1024);
    expect(parseMbr(buffer.subarray(1024, 1536), 100).partitions).toHaveLength(1);
  });
});

describe('partitionsOverlapping', () => {
  it('finds the partitions holding a sector range (end exclusive)', () => {
    const layout = parseMbr(
      mbr([
        { typeByte: 0x0e, firstSector: 10, sectorCount: 10 },
        { typeByte: 0x83, firstSector: 20, sectorCount: 10 },
      ]),
      100,
    );
    const indices = (first: number, end: number) => partitionsOverlapping(layout, first, end).map((p) => p.index);
    expect(indices(0, 10)).toEqual([]);
    expect(indices(0, 11)).toEqual([1]);
    expect(indices(19, 21)).toEqual([1, 2]);
    expect(indices(30, 100)).toEqual([]);
  });
});
