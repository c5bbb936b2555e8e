/**
 * Runs a Linux guest in v86 under Node, for image builds: the build needs i386 programs (BusyBox
 * to list its applets, dpkg and maintainer scripts to configure packages), and the host may be
 * unable to execute 32-bit code at all. Inside the emulator they run on any host.
 *
 * The guest is booted straight from a kernel and initramfs (v86's bzImage loader, with SeaBIOS),
 * with raw image files as its disks. It reports back on its serial console:
 *   LEAFLAB-GUEST-STEP: <words>   progress, echoed to stderr with the elapsed time
 *   LEAFLAB-GUEST-EXIT=<status>   the end; this process exits with that status
 * A kernel panic, a guest that powers off without the exit line, or the timeout fail the run
 * with the last lines of the console.
 *
 * Usage: tsx image/tools/run-in-guest.ts --kernel FILE --initrd FILE --cmdline TEXT
 *          [--hda FILE] [--hdb FILE] [--memory-mib 512] [--timeout-s 1800] [--log FILE] [--echo]
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { V86, type V86Options } from 'v86';
import { FileDisk } from './file-disk';
import { fileArrayBuffer, headlessV86Options } from './headless-v86';

const STEP_PREFIX = 'LEAFLAB-GUEST-STEP: ';
const EXIT_PATTERN = /LEAFLAB-GUEST-EXIT=(\d+)/;
const PANIC_PATTERN = /Kernel panic - not syncing[^\n]*/;
const TAIL_LINES = 40;

export interface GuestRun {
  kernelPath: string;
  initrdPath: string;
  cmdline: string;
  hdaPath?: string;
  hdbPath?: string;
  memoryMiB: number;
  timeoutMs: number;
  /** Every byte of the serial console goes here, when set. */
  logPath?: string;
  /** Also copy the serial console to stderr as it arrives. */
  echo: boolean;
}

export class GuestRunError extends Error {
  constructor(
    message: string,
    readonly consoleTail: string,
  ) {
    super(`${message}\n--- last lines of the guest console ---\n${consoleTail}`);
    this.name = 'GuestRunError';
  }
}

/** Boots the guest and resolves with the status it reported in its exit line. */
export async function runInGuest(run: GuestRun): Promise<number> {
  const disks = [run.hdaPath, run.hdbPath].map((diskPath) => (diskPath ? new FileDisk(diskPath) : undefined));
  const log = run.logPath ? createWriteStream(run.logPath) : undefined;
  const startedAtMs = Date.now();
  const elapsed = () => `${((Date.now() - startedAtMs) / 1000).toFixed(0)} s`;
  let consoleText = '';
  let lineStart = 0;

  const options: V86Options = {
    ...headlessV86Options(),
    bzimage: { buffer: fileArrayBuffer(run.kernelPath, 'the kernel to boot') },
    initrd: { buffer: fileArrayBuffer(run.initrdPath, 'the initramfs to boot') },
    cmdline: run.cmdline,
    memory_size: run.memoryMiB * 1024 * 1024,
    vga_memory_size: 2 * 1024 * 1024,
    acpi: false,
    ...(disks[0] ? { hda: disks[0] as unknown as V86Options['hda'] } : {}),
    ...(disks[1] ? { hdb: disks[1] as unknown as V86Options['hdb'] } : {}),
  };
  const emulator = new V86(options);

  const finished = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new GuestRunError(`the guest did not finish within ${run.timeoutMs / 1000} s`, tail(consoleText))),
      run.timeoutMs,
    );
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      outcome();
    };
    emulator.add_listener('serial0-output-byte', (byte: number) => {
      const char = String.fromCharCode(byte);
      log?.write(char, 'latin1');
      if (run.echo) process.stderr.write(char);
      if (char !== '\n') {
        consoleText += char;
        return;
      }
      const line = consoleText.slice(lineStart).replace(/\r/g, '');
      consoleText += char;
      lineStart = consoleText.length;
      // Keep the text bounded: only the tail is ever reported.
      if (consoleText.length > 1 << 20) {
        consoleText = consoleText.slice(-(1 << 16));
        lineStart = consoleText.length;
      }
      const stepAt = line.indexOf(STEP_PREFIX);
      if (stepAt >= 0 && !run.echo) process.stderr.write(`guest [${elapsed()}]: ${line.slice(stepAt + STEP_PREFIX.length)}\n`);
      const exit = EXIT_PATTERN.exec(line);
      if (exit) settle(() => resolve(Number(exit[1])));
      const panic = PANIC_PATTERN.exec(line);
      if (panic) settle(() => reject(new GuestRunError(`the guest kernel panicked: ${panic[0]}`, tail(consoleText))));
    });
  });

  try {
    return await finished;
  } finally {
    await emulator.destroy();
    for (const disk of disks) disk?.close();
    await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  }
}

function tail(text: string): string {
  return text.replace(/\r/g, '').split('\n').slice(-TAIL_LINES).join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kernel: { type: 'string' },
      initrd: { type: 'string' },
      cmdline: { type: 'string', default: '' },
      hda: { type: 'string' },
      hdb: { type: 'string' },
      'memory-mib': { type: 'string', default: '512' },
      'timeout-s': { type: 'string', default: '1800' },
      log: { type: 'string' },
      echo: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.kernel || !values.initrd) throw new Error('usage: run-in-guest.ts --kernel FILE --initrd FILE --cmdline TEXT [--hda FILE] [--hdb FILE] …');
  const status = await runInGuest({
    kernelPath: values.kernel,
    initrdPath: values.initrd,
    cmdline: values.cmdline,
    hdaPath: values.hda,
    hdbPath: values.hdb,
    memoryMiB: Number(values['memory-mib']),
    timeoutMs: Number(values['timeout-s']) * 1000,
    logPath: values.log,
    echo: values.echo,
  });
  process.exit(status);
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((error: unknown) => {
    console.error(`run-in-guest: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
