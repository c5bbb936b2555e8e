/**
 * A leaf store that delegates to a real one, but lets a test hold commits (`hold()` /
 * `release()`), make commit attempts fail (at once, or later, after the transaction started,
 * as a browser's asynchronous quota abort does), and see every writeBlocks call. Runs in
 * Node and in the browser (it imports no IndexedDB shim).
 */
import type { LeafBlockRecord, LeafMeta, LeafStore, LeafStoreCounters } from '@/lib/disk/leaf-store';
import type { SectorMap } from '@/lib/disk/sector-pages';

interface CommitFault {
  error: Error;
  /** Set for a failure that arrives after the transaction started; awaited before rejecting. */
  delay?: () => Promise<void>;
}

export class ControlledStore implements LeafStore {
  /** Every writeBlocks call (attempt), copied, and when it came (performance.now()). */
  readonly commits: LeafBlockRecord[][] = [];
  readonly commitTimesMs: number[] = [];
  /** The faults that fired, in order. */
  readonly firedFaults: Error[] = [];
  /** For each fired fault, how many attempts (`commits.length`) had been made by then. */
  private readonly attemptOfFault = new Map<Error, number>();
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private readonly faults: CommitFault[] = [];

  constructor(readonly inner: LeafStore) {}

  get name(): string {
    return this.inner.name;
  }

  /** How many commit attempts had been made when `fault` fired (it was the last of them). */
  firedAtAttempt(fault: Error): number | undefined {
    return this.attemptOfFault.get(fault);
  }

  /** Faults armed and not fired yet. */
  get armedFaults(): number {
    return this.faults.length;
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  /** The next commit attempt fails with `error`; nothing reaches the inner store (atomic). */
  failNextCommit(error: Error): void {
    this.faults.push({ error });
  }

  /** The next commit attempt starts, and after `delay` fails with `error`, nothing stored. */
  failNextCommitLater(error: Error, delay: () => Promise<void>): void {
    this.faults.push({ error, delay });
  }

  open(): Promise<void> {
    return this.inner.open();
  }
  readMeta(): Promise<LeafMeta | undefined> {
    return this.inner.readMeta();
  }
  loadSectorMap(sectorsPerBlock: number): Promise<SectorMap> {
    return this.inner.loadSectorMap(sectorsPerBlock);
  }
  get counters(): LeafStoreCounters {
    return this.inner.counters;
  }
  readBlocks(blockIndices: readonly number[]): Promise<Map<number, Uint8Array>> {
    return this.inner.readBlocks(blockIndices);
  }
  async writeBlocks(records: readonly LeafBlockRecord[], meta?: LeafMeta): Promise<void> {
    this.commits.push(records.map((r) => ({ ...r, data: r.data.slice(), validSectors: r.validSectors.slice() })));
    this.commitTimesMs.push(performance.now());
    if (this.gate) await this.gate;
    const fault = this.faults.shift();
    if (fault) {
      if (fault.delay) await fault.delay();
      this.firedFaults.push(fault.error);
      this.attemptOfFault.set(fault.error, this.commits.length);
      throw fault.error;
    }
    await this.inner.writeBlocks(records, meta);
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
  close(): void {
    this.inner.close();
  }
}
