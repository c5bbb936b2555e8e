/**
 * What every v86 run under Node needs, for the build's guests (run-in-guest.ts) and the boot
 * check (boot-check.ts): the wasm from the npm package, Debian's SeaBIOS pair (v86 ships no
 * BIOS), no keyboard, mouse or speaker, and the second serial port (ttyS1) for the agent. The caller adds the disks, memory and boot source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { V86Options } from 'v86';
import type { BootSettings } from '../../lib/images/manifest';

const SEABIOS_DIRECTORY = process.env.LEAFLAB_SEABIOS_DIR ?? '/usr/share/seabios';

/** A file as an ArrayBuffer of exactly its bytes (a Buffer may sit in a shared pool). */
export function fileArrayBuffer(filePath: string, hint: string): ArrayBuffer {
  if (!existsSync(filePath)) throw new Error(`${filePath} is missing: ${hint}`);
  const bytes = readFileSync(filePath);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function headlessV86Options(): V86Options {
  return {
    wasm_path: path.join(path.dirname(createRequire(import.meta.url).resolve('v86')), 'v86.wasm'),
    bios: { buffer: fileArrayBuffer(path.join(SEABIOS_DIRECTORY, 'bios.bin'), 'apt-get install seabios') },
    vga_bios: { buffer: fileArrayBuffer(path.join(SEABIOS_DIRECTORY, 'vgabios-stdvga.bin'), 'apt-get install seabios') },
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    // The second serial port: the Leaflab agent's line (image/agent/), apart from the console.
    uart1: true,
  };
}

/**
 * A catalog image's machine as the lab boots it: SeaBIOS boots `disk` (any object with v86's disk
 * methods) with the manifest's memory, VGA memory and ACPI.
 */
export function bootDiskV86Options(disk: object, boot: BootSettings): V86Options {
  return {
    ...headlessV86Options(),
    hda: disk as unknown as V86Options['hda'],
    memory_size: boot.memoryMiB * 1024 * 1024,
    vga_memory_size: boot.vgaMemoryMiB * 1024 * 1024,
    acpi: boot.acpi,
  };
}
