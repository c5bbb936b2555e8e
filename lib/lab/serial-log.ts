/**
 * Everything the guest printed on its serial console, decoded as UTF-8, plus shell-prompt
 * detection. Bytes arrive one at a time from v86, so decoding is streaming and listeners are
 * notified in batches (one per animation frame or timer tick), not per byte.
 */

/**
 * A shell prompt at the end of the output: `...# ` (root) or `...$ ` (user), possibly followed
 * by terminal control sequences (BusyBox ash asks for the cursor position, ESC[6n, after it).
 */
export const SHELL_PROMPT_AT_END = /[#$] (?:\x1b\[[0-9;?]*[A-Za-z])*$/;

export class SerialLog {
  private text = '';
  private readonly decoder = new TextDecoder('utf-8');
  private pendingBytes: number[] = [];
  private flushScheduled = false;
  /** Offset in `text` where the current boot's output starts (restart resets prompt detection). */
  private bootStartOffset = 0;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();

  append(byte: number): void {
    this.pendingBytes.push(byte);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), 16);
    }
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.pendingBytes.length === 0) return;
    const bytes = Uint8Array.from(this.pendingBytes);
    this.pendingBytes = [];
    this.text += this.decoder.decode(bytes, { stream: true });
    for (const listener of this.listeners) listener(bytes);
  }

  onBytes(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  markBootStart(): void {
    this.flush();
    this.bootStartOffset = this.text.length;
  }

  all(): string {
    this.flush();
    return this.text;
  }

  /** True once the current boot has printed a shell prompt and is waiting at it. */
  promptSeenThisBoot(): boolean {
    return SHELL_PROMPT_AT_END.test(this.text.slice(this.bootStartOffset));
  }
}
