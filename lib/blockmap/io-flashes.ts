/**
 * The guest's recent reads and writes, for the map to flash and fade. Filled from the
 * device's `onIo`, which runs on v86's I/O path, so a record costs O(1) and allocates nothing:
 * four typed arrays used as a ring, the oldest entry overwritten when it is full. The renderer
 * walks it newest first and stops at the first flash that has faded.
 */
export type IoKind = 'read' | 'write';

const KIND_CODE: Record<IoKind, number> = { read: 0, write: 1 };
const KINDS: readonly IoKind[] = ['read', 'write'];

export type FlashVisitor = (kind: IoKind, firstSector: number, endSector: number, timeMs: number) => boolean | void;

export class IoFlashRing {
  private readonly kinds: Uint8Array;
  private readonly firstSectors: Float64Array;
  private readonly endSectors: Float64Array;
  private readonly timesMs: Float64Array;
  /** Index the next record goes to, and how many records are held. */
  private next = 0;
  private held = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`IoFlashRing: capacity must be positive, got ${capacity}`);
    this.kinds = new Uint8Array(capacity);
    this.firstSectors = new Float64Array(capacity);
    this.endSectors = new Float64Array(capacity);
    this.timesMs = new Float64Array(capacity);
  }

  get size(): number {
    return this.held;
  }

  push(kind: IoKind, firstSector: number, endSector: number, timeMs: number): void {
    const at = this.next;
    this.kinds[at] = KIND_CODE[kind];
    this.firstSectors[at] = firstSector;
    this.endSectors[at] = endSector;
    this.timesMs[at] = timeMs;
    this.next = at + 1 === this.capacity ? 0 : at + 1;
    if (this.held < this.capacity) this.held += 1;
  }

  /** Visits records newest first; stops when `visit` returns false. */
  forEachNewest(visit: FlashVisitor): void {
    let at = this.next;
    for (let i = 0; i < this.held; i += 1) {
      at = at === 0 ? this.capacity - 1 : at - 1;
      const keepGoing = visit(KINDS[this.kinds[at] ?? 0] ?? 'read', this.firstSectors[at] ?? 0, this.endSectors[at] ?? 0, this.timesMs[at] ?? 0);
      if (keepGoing === false) return;
    }
  }

  /** Time of the newest record, or -Infinity when there is none. */
  get newestTimeMs(): number {
    if (this.held === 0) return -Infinity;
    return this.timesMs[this.next === 0 ? this.capacity - 1 : this.next - 1] ?? -Infinity;
  }
}
