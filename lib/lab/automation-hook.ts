/**
 * `window.leaflab`: the lab page's automation interface, used by the e2e tests, the benchmark
 * and people scripting labs. Kept small and stable; it reads the same state the page shows.
 */
import type { BlockMapSnapshot } from '../blockmap';
import type { SectorLayer } from '../disk';
import type { DiskStats, LabSession, LabSnapshot, LabStatus } from './lab-session';

export interface LeaflabHook {
  readonly imageId: string;
  /** The workspace this machine's disk belongs to: its name and the storage id of its leaf. */
  readonly workspace: { name: string; storageId: string };
  readonly status: LabStatus;
  snapshot(): LabSnapshot;
  /** Everything the serial console printed so far (UTF-8 decoded). */
  serialOutput(): string;
  /** Types text into the serial console, as if typed in the terminal ("\n" is Enter). */
  sendSerial(text: string): void;
  /** Text currently on the VGA screen. */
  screenText(): string;
  stats(): DiskStats;
  /**
   * Which layer serves a sector now: 'leaf', 'pending' (written, being saved), 'zero',
   * 'root-cached' (fetched) or 'root' (not fetched). Undefined until a union disk is open.
   */
  layerOf(sector: number): SectorLayer | undefined;
  /** The block map as drawn (cells, view, partitions), or undefined without a union disk. */
  blockMap(): BlockMapSnapshot | undefined;
  /** The map cell that shows `sector` in the current view, if it is in view. */
  blockMapCellOf(sector: number): number | undefined;
}

declare global {
  interface Window {
    leaflab?: LeaflabHook;
  }
}

export function installAutomationHook(session: LabSession): () => void {
  const hook: LeaflabHook = {
    imageId: session.image.id,
    workspace: { ...session.options.workspace },
    get status() {
      return session.snapshot().status;
    },
    snapshot: () => session.snapshot(),
    serialOutput: () => session.serial.all(),
    sendSerial: (text) => session.sendSerial(text),
    screenText: () => session.screenText(),
    stats: () => session.stats(),
    layerOf: (sector) => session.blockMap?.layerOf(sector),
    blockMap: () => session.blockMap?.snapshot(),
    blockMapCellOf: (sector) => session.blockMap?.cellOfSector(sector),
  };
  window.leaflab = hook;
  return () => {
    if (window.leaflab === hook) delete window.leaflab;
  };
}
