/**
 * One lab machine in the browser: downloads v86's module, wasm and the BIOS (with progress),
 * opens the disk backend, boots the image, and tracks status, serial output and disk counters.
 * Plain TypeScript with DOM access and no React: the page renders from `snapshot()` and
 * `subscribe()`.
 */
import type { V86, V86Options } from 'v86';
import { BlockMapModel } from '../blockmap';
import type { BootSettings, PublishedImage } from '../images/manifest';
import { emptyDiskStats, openDiskBackend, type DiskBackend, type DiskMode, type DiskStats, type WorkspaceRef } from './disk-backends';
import { exportToBlob, qcow2ExportPlan, rawExportPlan, type DiskExportFormat } from './disk-export';
import { saveCheckpoint, type SavedCheckpoint } from './checkpoint-save';
import { fetchWithProgress } from './fetch-with-progress';
import type { PublishedLayerOpener } from './layer-chain-opener';
import { loadV86 } from './load-v86';
import { SerialLog } from './serial-log';
import { AgentClient } from '../agent';

export type { DiskStats } from './disk-backends';
export type LabStatus = 'loading' | 'booting' | 'running' | 'stopped' | 'error';

export interface LabSnapshot {
  status: LabStatus;
  /** What is happening now, in words, for the progress indicator. */
  phase: string;
  /** 0..1 when the current phase has a known size, undefined when it does not. */
  progress: number | undefined;
  error: string | undefined;
  /** Milliseconds from the start of this boot to the shell prompt, once seen. */
  bootToPromptMs: number | undefined;
  /** Sectors of earlier changes restored from this browser's workspace (union disk). */
  restoredSectors: number;
  /** The disk is open (the block map can attach to it). */
  diskReady: boolean;
}

export const INITIAL_SNAPSHOT: LabSnapshot = {
  status: 'loading',
  phase: 'Starting',
  progress: undefined,
  error: undefined,
  bootToPromptMs: undefined,
  restoredSectors: 0,
  diskReady: false,
};

export interface LabAssets {
  /** v86's ES module (libv86.mjs), loaded unbundled: see load-v86.ts. */
  moduleUrl: string;
  wasmUrl: string;
  biosUrl: string;
  vgaBiosUrl: string;
}

export interface LabOptions {
  diskMode: DiskMode;
  /** The workspace whose leaf the union disk opens (unused by the other disk modes). */
  workspace: WorkspaceRef;
  /** The machine: memory, VGA memory, ACPI (the workspace's settings). */
  boot: BootSettings;
  /** Opens a published layer the workspace's disk stacks. */
  openPublished: PublishedLayerOpener;
}

const MIB = 1024 * 1024;
/** PS/2 set-1 break codes of left Ctrl (0x1d) and left Alt (0x38). */
const RELEASE_CTRL_ALT_SCANCODES = [0x9d, 0xb8];

export class LabSession {
  readonly serial = new SerialLog();
  /**
   * The guest's Leaflab agent on ttyS1 (lib/agent): lessons run their setups and checks through
   * it, never through the student's console. Requests wait for the agent's hello.
   */
  readonly agent = new AgentClient({ send: (bytes) => this.emulator?.serial_send_bytes(1, bytes) });
  private emulator: V86 | undefined;
  private diskBackend: DiskBackend | undefined;
  private blockMapModel: BlockMapModel | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private state: LabSnapshot = INITIAL_SNAPSHOT;
  private bootStartedAtMs = 0;
  private destroyed: Promise<void> | undefined;
  /** Whether the guest has the keyboard and mouse (see setInputCapture). */
  private inputCaptured = false;

  constructor(
    readonly image: PublishedImage,
    private readonly assets: LabAssets,
    private readonly screenContainer: HTMLElement,
    readonly options: LabOptions,
  ) {
    this.serial.onBytes(() => this.checkForPrompt());
  }

  snapshot(): LabSnapshot {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The open disk (undefined before it opens). */
  get disk(): DiskBackend | undefined {
    return this.diskBackend;
  }

  /** The live block map of the disk, once it is open (union mode only). */
  get blockMap(): BlockMapModel | undefined {
    return this.blockMapModel;
  }

  stats(): DiskStats {
    return this.diskBackend?.stats() ?? emptyDiskStats(this.options.diskMode);
  }

  /** Guest writes not yet durable in IndexedDB: leaving the page now would lose them. */
  hasUnsavedWrites(): boolean {
    return this.stats().pendingWrites > 0;
  }

  /** Downloads the emulator's parts, opens the disk and boots. Errors end in status 'error'. */
  async boot(): Promise<void> {
    // The union disk opens while v86 downloads, so its root fetches the image's boot working set
    // meanwhile (see lib/disk/boot-prefetch.ts); the other modes keep their order (memory's
    // download would compete with v86's).
    const earlyDisk = this.options.diskMode === 'union' ? this.openDisk() : undefined;
    earlyDisk?.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
    try {
      const [v86Module, wasm, bios, vgaBios] = await Promise.all([
        loadV86(this.assets.moduleUrl),
        this.download(this.assets.wasmUrl),
        this.download(this.assets.biosUrl),
        this.download(this.assets.vgaBiosUrl),
      ]).catch((error: unknown) => {
        void earlyDisk?.then((disk) => disk.close()).catch(() => undefined);
        throw error;
      });
      if (this.abort.signal.aborted && !earlyDisk) return;

      this.update({ phase: 'Opening the disk', progress: undefined });
      const disk = await (earlyDisk ?? this.openDisk());
      if (this.abort.signal.aborted) {
        await disk.close();
        return;
      }
      this.diskBackend = disk;
      if (disk.device) this.blockMapModel = new BlockMapModel(disk.device);
      disk.onError((error) => this.fail(error));
      this.update({ phase: 'Starting the virtual machine', progress: undefined, restoredSectors: disk.restoredSectors, diskReady: true });

      const options: V86Options = {
        wasm_fn: async (imports: WebAssembly.Imports) => (await WebAssembly.instantiate(wasm, imports)).instance.exports,
        bios: { buffer: bios },
        vga_bios: { buffer: vgaBios },
        hda: disk.hda as V86Options['hda'],
        memory_size: this.options.boot.memoryMiB * MIB,
        vga_memory_size: this.options.boot.vgaMemoryMiB * MIB,
        acpi: this.options.boot.acpi,
        screen: { container: this.screenContainer },
        disable_speaker: true,
        // ttyS1, the Leaflab agent's line (lib/agent/): checks never type into ttyS0.
        uart1: true,
        autostart: true,
      };
      const emulator = new v86Module.V86(options);
      this.emulator = emulator;
      // Keyboard and mouse reach the guest only while the user captures them on the screen
      // (see setInputCapture): otherwise v86 would take every key typed anywhere on the page,
      // Tab included, and the page's controls could not be reached by keyboard. v86 creates
      // its input adapters during its asynchronous start, so the state is applied once loaded.
      emulator.add_listener('emulator-loaded', () => this.applyInputCapture());
      emulator.add_listener('emulator-loaded', () => disk.attachEmulator(emulator));
      emulator.add_listener('serial0-output-byte', (byte: number) => this.serial.append(byte));
      emulator.add_listener('serial1-output-byte', (byte: number) => this.agent.receive(Uint8Array.of(byte)));
      // Later starts (resume, restart) are tracked by start()/restart() themselves.
      emulator.add_listener('emulator-started', () => {
        if (this.state.status === 'loading') this.beginBoot();
      });
      emulator.add_listener('ide-read-end', ([, byteCount]: [number, number, number]) => disk.countIde('read', byteCount));
      emulator.add_listener('ide-write-end', ([, byteCount]: [number, number, number]) => disk.countIde('write', byteCount));
      emulator.add_listener('download-error', (event: { file_name: string }) => {
        this.fail(new Error(`The disk image could not be read from ${event.file_name}. Check that the server is running.`));
      });
    } catch (error) {
      this.fail(error);
    }
  }

  private openDisk(): Promise<DiskBackend> {
    return openDiskBackend(this.options.diskMode, this.image, {
      workspace: this.options.workspace,
      openPublished: this.options.openPublished,
      signal: this.abort.signal,
      onDownloadProgress: (loadedBytes) =>
        this.update({
          phase: `Downloading the whole disk image (${(loadedBytes / MIB).toFixed(1)} of ${(this.image.sizeBytes / MIB).toFixed(0)} MiB)`,
          progress: loadedBytes / this.image.sizeBytes,
        }),
    });
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

  /**
   * Gives the guest the keyboard and mouse (true) or takes them back (false). On release the
   * guest gets key-ups for Ctrl and Alt, which the release shortcut leaves pressed.
   */
  setInputCapture(captured: boolean): void {
    if (!captured && this.inputCaptured) this.emulator?.keyboard_send_scancodes(RELEASE_CTRL_ALT_SCANCODES);
    this.inputCaptured = captured;
    this.applyInputCapture();
  }

  private applyInputCapture(): void {
    this.emulator?.keyboard_set_enabled(this.inputCaptured);
    this.emulator?.mouse_set_enabled(this.inputCaptured);
  }

  /** Scales the VGA output (fullscreen fits the screen to the display). */
  setScreenScale(scale: number): void {
    this.emulator?.screen_set_scale(scale, scale);
  }

  /**
   * The whole disk as the guest sees it, as a raw image or a qcow2 overlay of the root (union
   * disk only). The machine is paused meanwhile, so the copy is one consistent moment of the
   * disk, and resumed after.
   */
  async exportDisk(onProgress: (copiedBytes: number, totalBytes: number) => void, format: DiskExportFormat = 'raw'): Promise<Blob> {
    const device = this.diskBackend?.device;
    if (!device) throw new Error('Only the union disk can be downloaded; this lab runs another disk mode.');
    const wasRunning = this.emulator?.is_running() ?? false;
    if (wasRunning) await this.emulator?.stop();
    try {
      const rootUrl = new URL(this.image.url, location.href).href;
      const plan = format === 'qcow2' ? qcow2ExportPlan(device, this.image, rootUrl) : rawExportPlan(device);
      return await exportToBlob(plan, onProgress, this.abort.signal);
    } finally {
      if (wasRunning && this.state.status !== 'error') await this.emulator?.run();
    }
  }

  /**
   * Freezes the disk as checkpoint `name` and goes on writing on top of it, with the guest
   * running (union disk only). Resolves once the checkpoint is recorded.
   */
  async saveCheckpoint(name: string): Promise<SavedCheckpoint> {
    const disk = this.diskBackend;
    if (!disk?.device || !disk.workspaceRecord) throw new Error('Only the union disk has checkpoints; this lab runs another disk mode.');
    if (this.state.status === 'error') throw new Error('The machine stopped on an error; reload before saving a checkpoint.');
    const saved = await saveCheckpoint(disk.device, disk.workspaceRecord, name);
    disk.workspaceRecord = saved.workspace;
    this.update({});
    return saved;
  }

  sendSerial(text: string): void {
    this.emulator?.serial0_send(text);
  }

  /** The text the VGA screen shows now (text mode), row by row. */
  screenText(): string {
    const textLayer = this.screenContainer.querySelector('div');
    return textLayer ? Array.from(textLayer.children, (row) => row.textContent ?? '').join('\n') : '';
  }

  /** Stops the machine and releases the disk once every write the guest saw complete is durable. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      this.abort.abort();
      this.listeners.clear();
      const emulator = this.emulator;
      this.emulator = undefined;
      await emulator?.destroy();
      this.blockMapModel?.dispose();
      await this.diskBackend?.close();
    })();
    return this.destroyed;
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
          phase: `Downloading the emulator and BIOS (${(loaded / MIB).toFixed(1)} MiB)`,
          progress: total ? loaded / total : undefined,
        });
      },
      this.abort.signal,
    );
  }

  /** Pauses the machine (nothing more reaches the disk) and says why. */
  private fail(error: unknown): void {
    if (this.abort.signal.aborted) return;
    void this.emulator?.stop();
    const message = error instanceof Error ? error.message : String(error);
    const paused = this.emulator ? 'The virtual machine is paused. ' : '';
    this.update({ status: 'error', phase: 'Stopped by an error', error: `${paused}${message}`, progress: undefined });
  }

  private update(change: Partial<LabSnapshot>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }
}
