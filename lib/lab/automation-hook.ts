/**
 * `window.leaflab`: the lab page's automation interface, used by the e2e tests, the benchmark
 * and people scripting labs. Kept small and stable; it reads the same state the page shows.
 */
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
  };
  window.leaflab = hook;
  return () => {
    if (window.leaflab === hook) delete window.leaflab;
  };
}
