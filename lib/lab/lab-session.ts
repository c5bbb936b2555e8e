/**
 * One lab machine in the browser: downloads v86's wasm and the BIOS (with progress), boots the
 * image in v86, and tracks status, serial output and disk counters. Plain TypeScript with DOM
 * access and no React: the page renders from `snapshot()` and `subscribe()`.
 *
 * Disk backend: v86's own async Range-request disk. The union block device (lib/disk) replaces
 * it as the default in a later step; this backend stays as the benchmark baseline.
 */
import type { V86, V86Options } from 'v86';
import type { PublishedImage } from '../images/manifest';
import { fetchWithProgress } from './fetch-with-progress';
import { loadV86 } from './load-v86';
import { NetworkMeter } from './network-meter';
import { SerialLog } from './serial-log';

export type LabStatus = 'loading' | 'booting' | 'running' | 'stopped' | 'error';

export interface DiskStats {
  /** Which disk implementation serves the guest's hda. */
  diskMode: 'v86-async';
  /** Body bytes and requests fetched from the image URL (Resource Timing). */
  bytesFetched: number;
  requests: number;
  /** Guest disk operations as v86's IDE controller reports them. */
  reads: number;
  writes: number;
  bytesRead: number;
  bytesWritten: number;
}

export interface LabSnapshot {
  status: LabStatus;
  /** What is happening now, in words, for the progress indicator. */
  phase: string;
  /** 0..1 when the current phase has a known size, undefined when it does not. */
  progress: number | undefined;
  error: string | undefined;
  /** Milliseconds from the start of this boot to the shell prompt, once seen. */
  bootToPromptMs: number | undefined;
}

export interface LabAssets {
  /** v86's ES module (libv86.mjs), loaded unbundled: see load-v86.ts. */
  moduleUrl: string;
  wasmUrl: string;
  biosUrl: string;
  vgaBiosUrl: string;
}

export class LabSession {
  readonly serial = new SerialLog();
  private emulator: V86 | undefined;
  private readonly meter: NetworkMeter;
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private state: LabSnapshot = { status: 'loading', phase: 'Starting', progress: undefined, error: undefined, bootToPromptMs: undefined };
  private bootStartedAtMs = 0;
  private readonly ide = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0 };

  constructor(
    readonly image: PublishedImage,
    private readonly assets: LabAssets,
    private readonly screenContainer: HTMLElement,
  ) {
    this.meter = new NetworkMeter(new URL(image.url, location.href).href);
    this.serial.onBytes(() => this.checkForPrompt());
  }

  snapshot(): LabSnapshot {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): DiskStats {
    this.meter.flush();
    return { diskMode: 'v86-async', ...this.meter.counters, ...this.ide };
  }

  /** Downloads the emulator's parts and boots. Errors end in status 'error' with a message. */
  async boot(): Promise<void> {
    try {
      const [{ V86: V86Class }, wasm, bios, vgaBios] = await Promise.all([
        loadV86(this.assets.moduleUrl),
        this.download(this.assets.wasmUrl),
        this.download(this.assets.biosUrl),
        this.download(this.assets.vgaBiosUrl),
      ]);
      if (this.abort.signal.aborted) return;
      this.update({ phase: 'Starting the virtual machine', progress: undefined });

      const options: V86Options = {
        wasm_fn: async (imports: WebAssembly.Imports) => (await WebAssembly.instantiate(wasm, imports)).instance.exports,
        bios: { buffer: bios },
        vga_bios: { buffer: vgaBios },
        hda: { url: this.image.url, async: true, size: this.image.sizeBytes },
        memory_size: this.image.boot.memoryMiB * 1024 * 1024,
        vga_memory_size: this.image.boot.vgaMemoryMiB * 1024 * 1024,
        acpi: this.image.boot.acpi,
        screen: { container: this.screenContainer },
        disable_speaker: true,
        autostart: true,
      };
      const emulator = new V86Class(options);
      this.emulator = emulator;
      emulator.add_listener('serial0-output-byte', (byte: number) => this.serial.append(byte));
      // Later starts (resume, restart) are tracked by start()/restart() themselves.
      emulator.add_listener('emulator-started', () => {
        if (this.state.status === 'loading') this.beginBoot();
      });
      emulator.add_listener('ide-read-end', ([, byteCount]: [number, number, number]) => {
        this.ide.reads += 1;
        this.ide.bytesRead += byteCount;
      });
      emulator.add_listener('ide-write-end', ([, byteCount]: [number, number, number]) => {
        this.ide.writes += 1;
        this.ide.bytesWritten += byteCount;
      });
      emulator.add_listener('download-error', (event: { file_name: string }) => {
        this.fail(`The disk image could not be read from ${event.file_name}. Check that the server is running and serves ${this.image.url}.`);
      });
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  async stop(): Promise<void> {
    if (!this.emulator || this.state.status === 'error') return;
    await this.emulator.stop();
    this.update({ status: 'stopped', phase: 'Stopped' });
  }

  async start(): Promise<void> {
    if (!this.emulator || this.state.status !== 'stopped') return;
    await this.emulator.run();
    this.update({ status: this.state.bootToPromptMs === undefined ? 'booting' : 'running', phase: 'Running' });
  }

  /** Hardware reset: the guest reboots from its disk. */
  async restart(): Promise<void> {
    if (!this.emulator || this.state.status === 'error') return;
    this.emulator.restart();
    if (this.state.status === 'stopped') await this.emulator.run();
    this.beginBoot();
  }

  sendSerial(text: string): void {
    this.emulator?.serial0_send(text);
  }

  /** The text the VGA screen shows now (text mode), row by row. */
  screenText(): string {
    const textLayer = this.screenContainer.querySelector('div');
    return textLayer ? Array.from(textLayer.children, (row) => row.textContent ?? '').join('\n') : '';
  }

  async destroy(): Promise<void> {
    this.abort.abort();
    this.meter.disconnect();
    this.listeners.clear();
    const emulator = this.emulator;
    this.emulator = undefined;
    await emulator?.destroy();
  }

  private beginBoot(): void {
    this.serial.markBootStart();
    this.bootStartedAtMs = performance.now();
    this.update({ status: 'booting', phase: 'Booting the guest', progress: undefined, bootToPromptMs: undefined });
  }

  private checkForPrompt(): void {
    if (this.state.status !== 'booting' || !this.serial.promptSeenThisBoot()) return;
    this.update({ status: 'running', phase: 'Running', bootToPromptMs: Math.round(performance.now() - this.bootStartedAtMs) });
  }

  /** The three downloads run in parallel; progress is their combined bytes. */
  private readonly downloads = new Map<string, { loadedBytes: number; totalBytes: number | undefined }>();

  private async download(url: string): Promise<ArrayBuffer> {
    this.downloads.set(url, { loadedBytes: 0, totalBytes: undefined });
    return fetchWithProgress(
      url,
      (loadedBytes, totalBytes) => {
        this.downloads.set(url, { loadedBytes, totalBytes });
        const all = [...this.downloads.values()];
        const loaded = all.reduce((sum, d) => sum + d.loadedBytes, 0);
        const total = all.every((d) => d.totalBytes !== undefined) ? all.reduce((sum, d) => sum + (d.totalBytes ?? 0), 0) : undefined;
        this.update({
          phase: `Downloading the emulator and BIOS (${(loaded / 1048576).toFixed(1)} MiB)`,
          progress: total ? loaded / total : undefined,
        });
      },
      this.abort.signal,
    );
  }

  private fail(message: string): void {
    void this.emulator?.stop();
    this.update({ status: 'error', phase: 'Stopped by an error', error: message, progress: undefined });
  }

  private update(change: Partial<LabSnapshot>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }
}
