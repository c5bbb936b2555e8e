/**
 * A leaf's sector map as a paged, dense bitmap: one bit per sector of the disk (LSB-first
 * within each byte, as sector-bitmap.ts), cut into pages of SECTORS_PER_PAGE sectors. Only
 * pages with a marked sector exist. This is both what IndexedDB stores (one record per page,
 * see idb-leaf-store.ts) and what the device holds in memory: a leaf with 100,000 mapped
 * blocks opens by loading a few hundred small records, not one record per block, and costs
 * one bit per sector instead of an array object per block.
 *
 * It still answers as a `ReadonlyMap` of blockIndex → the block's bitmap (a fresh copy, in
 * ascending block order), which is how layer chains, publishing and the block map read a
 * leaf's map; the hot read path asks `hasSector` instead, which allocates nothing.
 */
import { countSectors, countSectorsInRange } from './sector-bitmap';

/** 4096 sectors = 2 MiB of disk per page; a page record is 512 bytes, small next to a 4 KiB block write. */
export const SECTORS_PER_PAGE = 4096;
export const PAGE_BYTES = SECTORS_PER_PAGE / 8;

export function pageOfSector(sector: number): number {
  return Math.floor(sector / SECTORS_PER_PAGE);
}

export class SectorMap implements ReadonlyMap<number, Uint8Array> {
  /** pageIndex → PAGE_BYTES of bits; a page with no marked sector is removed. */
  private readonly pages: Map<number, Uint8Array>;
  private blocks = 0;
  private sectors = 0;

  /** `pages` are taken over (not copied); each must be PAGE_BYTES long (checked by the caller). */
  constructor(
    readonly sectorsPerBlock: number,
    pages: ReadonlyMap<number, Uint8Array> = new Map(),
  ) {
    if (!Number.isSafeInteger(sectorsPerBlock) || sectorsPerBlock <= 0) {
      throw new RangeError(`SectorMap: sectorsPerBlock must be a positive integer, got ${sectorsPerBlock}`);
    }
    this.pages = new Map([...pages].filter(([, page]) => page.some((byte) => byte !== 0)));
    for (const page of this.pages.values()) this.sectors += countSectors(page);
    for (let blocks = this.keys(); !blocks.next().done; ) this.blocks += 1;
  }

  /** Blocks with at least one marked sector (as Map.size counted them in the old per-block map). */
  get size(): number {
    return this.blocks;
  }

  get sectorCount(): number {
    return this.sectors;
  }

  get pageCount(): number {
    return this.pages.size;
  }

  /** Bytes of bitmap held in memory. */
  get heldBytes(): number {
    return this.pages.size * PAGE_BYTES;
  }

  hasSector(sector: number): boolean {
    const page = this.pages.get(pageOfSector(sector));
    if (page === undefined) return false;
    const bit = sector % SECTORS_PER_PAGE;
    return (((page[bit >> 3] ?? 0) >> (bit & 7)) & 1) === 1;
  }

  has(blockIndex: number): boolean {
    return this.blockHasAnySector(blockIndex);
  }

  /** The block's bitmap (sector-bitmap.ts layout, a fresh array), or undefined if it maps no sector. */
  get(blockIndex: number): Uint8Array | undefined {
    if (!this.blockHasAnySector(blockIndex)) return undefined;
    const bitmap = new Uint8Array(Math.ceil(this.sectorsPerBlock / 8));
    const first = blockIndex * this.sectorsPerBlock;
    for (let i = 0; i < this.sectorsPerBlock; i += 1) {
      if (this.hasSector(first + i)) bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
    }
    return bitmap;
  }

  /**
   * Replaces the block's sectors with `bitmap` (a leaf record replaces a whole block, and its
   * bitmap is the block's whole valid set). Returns the pages it touched.
   */
  setBlock(blockIndex: number, bitmap: Uint8Array): number[] {
    const hadAny = this.blockHasAnySector(blockIndex);
    const first = blockIndex * this.sectorsPerBlock;
    const touched = new Set<number>();
    for (let i = 0; i < this.sectorsPerBlock; i += 1) {
      const want = (((bitmap[i >> 3] ?? 0) >> (i & 7)) & 1) === 1;
      touched.add(pageOfSector(first + i));
      this.setSector(first + i, want);
    }
    for (const pageIndex of touched) {
      if (this.pages.get(pageIndex)?.every((byte) => byte === 0)) this.pages.delete(pageIndex);
    }
    const hasAny = this.blockHasAnySector(blockIndex);
    this.blocks += Number(hasAny) - Number(hadAny);
    return [...touched];
  }

  /** The page's bits (not a copy: do not modify), or undefined when it marks nothing. */
  page(pageIndex: number): Uint8Array | undefined {
    return this.pages.get(pageIndex);
  }

  /** Page indices in ascending order. */
  pageIndices(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  /** An independent copy (a checkpoint freezes the live map this way). */
  clone(): SectorMap {
    return new SectorMap(this.sectorsPerBlock, new Map([...this.pages].map(([index, page]) => [index, page.slice()])));
  }

  /** Marked sectors in [fromSector, toSector): a byte at a time within each page (the block map asks often). */
  countInRange(fromSector: number, toSector: number): number {
    let count = 0;
    for (let sector = fromSector; sector < toSector; ) {
      const pageIndex = pageOfSector(sector);
      const pageEnd = Math.min(toSector, (pageIndex + 1) * SECTORS_PER_PAGE);
      const page = this.pages.get(pageIndex);
      if (page) count += countSectorsInRange(page, sector - pageIndex * SECTORS_PER_PAGE, pageEnd - pageIndex * SECTORS_PER_PAGE);
      sector = pageEnd;
    }
    return count;
  }

  /** Blocks with a marked sector, ascending. Skips zero bytes, and the rest of a block once it is found. */
  *keys(): MapIterator<number> {
    let lastBlock = -1;
    for (const pageIndex of this.pageIndices()) {
      const page = this.pages.get(pageIndex)!;
      const pageFirstSector = pageIndex * SECTORS_PER_PAGE;
      let bit = 0;
      while (bit < SECTORS_PER_PAGE) {
        const byte = page[bit >> 3] ?? 0;
        if ((bit & 7) === 0 && byte === 0) {
          bit += 8;
        } else if (((byte >> (bit & 7)) & 1) === 1) {
          const blockIndex = Math.floor((pageFirstSector + bit) / this.sectorsPerBlock);
          if (blockIndex !== lastBlock) yield blockIndex;
          lastBlock = blockIndex;
          bit = (blockIndex + 1) * this.sectorsPerBlock - pageFirstSector;
        } else {
          bit += 1;
        }
      }
    }
  }

  *entries(): MapIterator<[number, Uint8Array]> {
    for (const blockIndex of this.keys()) yield [blockIndex, this.get(blockIndex)!];
  }

  *values(): MapIterator<Uint8Array> {
    for (const [, bitmap] of this.entries()) yield bitmap;
  }

  [Symbol.iterator](): MapIterator<[number, Uint8Array]> {
    return this.entries();
  }

  forEach(callback: (value: Uint8Array, key: number, map: ReadonlyMap<number, Uint8Array>) => void): void {
    for (const [blockIndex, bitmap] of this.entries()) callback(bitmap, blockIndex, this);
  }

  private blockHasAnySector(blockIndex: number): boolean {
    const first = blockIndex * this.sectorsPerBlock;
    const end = first + this.sectorsPerBlock;
    // Most of a disk lies in pages that do not exist: one lookup per page the block touches.
    let anyPage = false;
    for (let pageIndex = pageOfSector(first); pageIndex <= pageOfSector(end - 1) && !anyPage; pageIndex += 1) anyPage = this.pages.has(pageIndex);
    if (!anyPage) return false;
    for (let sector = first; sector < end; ) {
      const page = this.pages.get(pageOfSector(sector));
      const bit = sector % SECTORS_PER_PAGE;
      if (page === undefined) {
        sector += SECTORS_PER_PAGE - bit;
      } else if ((bit & 7) === 0 && end - sector >= 8) {
        if (page[bit >> 3] !== 0) return true;
        sector += 8;
      } else {
        if ((((page[bit >> 3] ?? 0) >> (bit & 7)) & 1) === 1) return true;
        sector += 1;
      }
    }
    return false;
  }

  private setSector(sector: number, marked: boolean): void {
    const pageIndex = pageOfSector(sector);
    let page = this.pages.get(pageIndex);
    if (!page) {
      if (!marked) return;
      page = new Uint8Array(PAGE_BYTES);
      this.pages.set(pageIndex, page);
    }
    const bit = sector % SECTORS_PER_PAGE;
    const mask = 1 << (bit & 7);
    const was = ((page[bit >> 3] ?? 0) & mask) !== 0;
    if (was === marked) return;
    page[bit >> 3] = marked ? (page[bit >> 3] ?? 0) | mask : (page[bit >> 3] ?? 0) & ~mask;
    this.sectors += marked ? 1 : -1;
  }
}

/**
 * Lays per-block bitmaps (the old one-record-per-block layout, or a transaction's records)
 * into pages: pageIndex → its bits, starting from `base` pages where given (copied).
 */
export function pagesWithBlocks(
  sectorsPerBlock: number,
  blocks: Iterable<readonly [number, Uint8Array]>,
  base: ReadonlyMap<number, Uint8Array> = new Map(),
): Map<number, Uint8Array> {
  const map = new SectorMap(sectorsPerBlock, new Map([...base].map(([index, page]) => [index, page.slice()])));
  const touched = new Set<number>();
  for (const [blockIndex, bitmap] of blocks) for (const pageIndex of map.setBlock(blockIndex, bitmap)) touched.add(pageIndex);
  return new Map([...touched].map((pageIndex) => [pageIndex, map.page(pageIndex) ?? new Uint8Array(PAGE_BYTES)]));
}

/** The pages holding sectors of the given blocks (the records a write transaction must update). */
export function pagesOfBlocks(sectorsPerBlock: number, blockIndices: Iterable<number>): Set<number> {
  const pages = new Set<number>();
  for (const blockIndex of blockIndices) {
    const first = blockIndex * sectorsPerBlock;
    for (let pageIndex = pageOfSector(first); pageIndex <= pageOfSector(first + sectorsPerBlock - 1); pageIndex += 1) pages.add(pageIndex);
  }
  return pages;
}
