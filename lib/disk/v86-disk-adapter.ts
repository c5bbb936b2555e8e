/**
 * The object v86 takes as `hda`. v86 0.5.x duck-types disks (src/buffer.js, src/ide.js):
 * it needs `get`, `set` and `load`, reads `byteLength`, waits for `onload` after `load()`,
 * calls `get_and_cache(0, 512, fn)` before starting and `get_from_cache(0, 512)` for the
 * geometry, and `get_state`/`set_state` when saving or restoring a machine state.
 *
 * With Leaflab's v86 patch (scripts/v86-patch.mjs) it also takes FLUSH CACHE through `flush`.
 *
 * v86 has no error path for disk I/O: a callback is either called with data or never. So on
 * a failure this adapter reports to `onError` listeners (the app pauses the VM and shows the
 * message) and never calls the callback with made-up data.
 */
import { ReadWaitMeter, type ReadWaitCounters } from './read-wait-meter';
import type { UnionDevice } from './union-device';

/** Saved in v86 state files; plain primitives only (v86's state writer rejects plain objects). */
const STATE_TAG = 'leaflab-union-disk';
const STATE_VERSION = 1;

export type V86DiskState = [tag: string, version: number, leafName: string, rootId: string, rootSizeBytes: number, rootSha256: string];

export interface V86DiskAdapterOptions {
  /** How many bytes from 0 `get_and_cache` may keep for `get_from_cache`. Default 4096. */
  bootCacheBytes?: number;
  /** Chunk size `get_buffer` reads the disk in. Default 1 MiB. */
  exportChunkBytes?: number;
}

export type V86DiskErrorListener = (error: Error) => void;

const UNIT = 256;

export class V86DiskAdapter {
  readonly byteLength: number;
  /** Set by v86 before it calls `load()`. */
  onload: ((event: object) => void) | undefined;
  onprogress: ((event: object) => void) | undefined;

  private readonly bootCacheBytes: number;
  private readonly exportChunkBytes: number;
  /** 256-byte units read through get_and_cache, by unit index (v86's own block_cache shape). */
  private readonly bootCache = new Map<number, Uint8Array>();
  private readonly errorListeners = new Set<V86DiskErrorListener>();
  /** The guest's read wait and the engine's main-thread time at this interface (see read-wait-meter.ts). */
  private readonly meter = new ReadWaitMeter();

  constructor(
    readonly device: UnionDevice,
    options: V86DiskAdapterOptions = {},
  ) {
    this.byteLength = device.sizeBytes;
    this.bootCacheBytes = options.bootCacheBytes ?? 4096;
    this.exportChunkBytes = options.exportChunkBytes ?? 1024 * 1024;
    // Commit failures (quota…) reach the app through the same listener as read failures.
    device.onError((error) => this.report(error));
  }

  /** Subscribes to I/O failures; returns the unsubscribe function. */
  onError(listener: V86DiskErrorListener): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** readWaitMs, asyncReads and engineMs so far (see read-wait-meter.ts for what each includes). */
  get readWaitCounters(): ReadWaitCounters {
    return this.meter.counters;
  }

  /** The device is opened before the adapter exists, so the disk is ready at once. */
  load(): void {
    this.onprogress?.({ loaded: this.byteLength, total: this.byteLength, lengthComputable: true });
    this.onload?.({});
  }

  get(startBytes: number, lengthBytes: number, fn: (data: Uint8Array) => void, options?: { signal?: AbortSignal }): void {
    this.meter.get(this.getUnmetered, startBytes, lengthBytes, fn, options);
  }

  private readonly getUnmetered = (startBytes: number, lengthBytes: number, fn: (data: Uint8Array) => void, options?: { signal?: AbortSignal }): void => {
    // In memory already: answer in this turn, like v86's own in-memory disk (see readIfReady).
    const ready = this.device.readIfReady(startBytes, lengthBytes);
    if (ready) {
      fn(ready);
      return;
    }
    const signal = options?.signal;
    this.device.read(startBytes, lengthBytes, signal).then(fn, (error: unknown) => {
      if (signal?.aborted) {
        // v86 aborted this read itself (reset); it marked the I/O id as cancelled and discards
        // whatever the callback receives, and it frees that id only when the callback runs.
        fn(new Uint8Array(lengthBytes));
        return;
      }
      this.report(toError(error));
    });
  };

  /**
   * `fn` runs only when the write is durable: DMA writes complete for the guest only then.
   * The device copies `data` before returning, so v86 may reuse its buffer.
   */
  set(startBytes: number, data: Uint8Array, fn: () => void): void {
    this.meter.sync((done) => {
      this.updateBootCache(startBytes, data);
      this.device.write(startBytes, data).then(done, (error: unknown) => {
        // A commit failure was already reported through device.onError; report anything else.
        if (error !== this.device.failure) this.report(toError(error));
      });
    }, fn);
  }

  /**
   * FLUSH CACHE and FLUSH CACHE EXT, as Leaflab's patched v86 calls them (scripts/v86-patch.mjs):
   * the guest's drive stays busy until `fn` runs, and `fn` runs once every write issued before
   * the flush is durable. That makes a guest's `fsync`/`sync` a real barrier, for PIO writes too
   * (the patch also holds a PIO write's completion until `set` calls back). On a failure `fn` is
   * never called: the guest must not believe its data is safe; onError listeners hear why.
   */
  flush(fn: () => void): void {
    this.meter.sync((done) => {
      this.device.flush().then(done, (error: unknown) => {
        if (error !== this.device.failure) this.report(toError(error));
      });
    }, fn);
  }

  /** Not metered: v86 calls it for the boot sector before the machine runs, when no guest waits. */
  get_and_cache(startBytes: number, lengthBytes: number, fn: (data: Uint8Array) => void, options?: { signal?: AbortSignal }): void {
    this.getUnmetered(
      startBytes,
      lengthBytes,
      (data) => {
        for (let at = 0; at < lengthBytes; at += UNIT) {
          const unitIndex = (startBytes + at) / UNIT;
          if ((unitIndex + 1) * UNIT <= this.bootCacheBytes && !this.bootCache.has(unitIndex)) {
            this.bootCache.set(unitIndex, data.slice(at, at + UNIT));
          }
        }
        fn(data);
      },
      options,
    );
  }

  /** Synchronous: what `get_and_cache` kept (and later `set`s updated), or undefined. */
  get_from_cache(startBytes: number, lengthBytes: number): Uint8Array | undefined {
    const result = new Uint8Array(lengthBytes);
    for (let at = 0; at < lengthBytes; at += UNIT) {
      const unit = this.bootCache.get((startBytes + at) / UNIT);
      if (!unit) return undefined;
      result.set(unit, at);
    }
    return result;
  }

  /**
   * The leaf is persistent on its own, so a v86 state only names the disk it belongs to.
   * Call `device.flush()` before saving a state so every write the state assumes is durable.
   */
  get_state(): V86DiskState {
    const root = this.device.rootIdentity;
    return [STATE_TAG, STATE_VERSION, this.device.store.name, root.id, root.sizeBytes, root.sha256];
  }

  set_state(state: unknown): void {
    const mine = this.get_state();
    const valid =
      Array.isArray(state) && state.length === mine.length && state[0] === STATE_TAG && state[1] === STATE_VERSION;
    if (!valid) {
      throw new Error(
        'This saved machine state was not made with a Leaflab workspace disk, so it cannot be restored onto one. ' +
          'Boot the image normally instead.',
      );
    }
    if (!mine.every((value, i) => value === state[i])) {
      throw new Error(
        `This saved machine state belongs to workspace ${String(state[2])} on image "${String(state[3])}" ` +
          `(sha256 ${String(state[5]).slice(0, 12)}…), but the open disk is workspace ${mine[2]} on image "${mine[3]}" ` +
          `(sha256 ${mine[5].slice(0, 12)}…). Restoring it would mix two disks; open the matching workspace instead.`,
      );
    }
  }

  /**
   * The whole merged disk as one ArrayBuffer ("download disk"). v86's convention for "not
   * available" is `fn()` without a buffer; failures also go to onError listeners. Large disks
   * need that much memory: the app may prefer `device.read` in chunks to stream a download.
   */
  get_buffer(fn: (buffer?: ArrayBuffer) => void): void {
    this.readAll().then(
      (bytes) => fn(bytes.buffer as ArrayBuffer),
      (error: unknown) => {
        this.report(toError(error));
        fn(undefined);
      },
    );
  }

  private async readAll(): Promise<Uint8Array> {
    const out = new Uint8Array(this.byteLength);
    for (let at = 0; at < this.byteLength; at += this.exportChunkBytes) {
      const length = Math.min(this.exportChunkBytes, this.byteLength - at);
      out.set(await this.device.read(at, length), at);
    }
    return out;
  }

  /** Keeps the boot cache coherent with writes, as v86's own buffers do. */
  private updateBootCache(startBytes: number, data: Uint8Array): void {
    if (this.bootCache.size === 0 || startBytes >= this.bootCacheBytes) return;
    for (let at = 0; at + UNIT <= data.length; at += UNIT) {
      const unitIndex = (startBytes + at) / UNIT;
      if (this.bootCache.has(unitIndex)) this.bootCache.set(unitIndex, data.slice(at, at + UNIT));
    }
  }

  private report(error: Error): void {
    for (const listener of this.errorListeners) listener(error);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
