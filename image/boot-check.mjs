#!/usr/bin/env node
// Boots catalog/leaflab-linux/disk.img in v86 (headless, in Node) and checks
// that it reaches a root shell on the serial console, runs commands, and has a
// writable root filesystem. Exits non-zero on failure or timeout.
// Usage: node image/boot-check.mjs [catalogDir]   (BOOT_TIMEOUT_S=120, QUIET=1)
// Needs Debian's `seabios` package for the BIOS images.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { V86 } from 'v86';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.argv[2] ?? join(here, '..', 'catalog', 'leaflab-linux'));
const timeoutMs = Number(process.env.BOOT_TIMEOUT_S ?? 120) * 1000;
const quiet = process.env.QUIET === '1';
const SEABIOS = '/usr/share/seabios';

const fail = (msg) => {
  console.error(`\nboot-check: FAIL: ${msg}`);
  process.exit(1);
};

for (const f of ['bios.bin', 'vgabios-stdvga.bin']) {
  if (!existsSync(join(SEABIOS, f))) fail(`${SEABIOS}/${f} missing: apt-get install seabios`);
}
if (!existsSync(join(dir, 'manifest.json'))) fail(`${dir}/manifest.json missing: run npm run image`);
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

// v86 wants ArrayBuffers of exactly the file (a Buffer may sit in a shared pool).
const arrayBuffer = (path) => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const disk = arrayBuffer(join(dir, 'disk.img'));
if (disk.byteLength !== manifest.sizeBytes) fail(`disk.img is ${disk.byteLength} bytes, manifest says ${manifest.sizeBytes}`);

const require = createRequire(import.meta.url);
const emulator = new V86({
  wasm_path: join(dirname(require.resolve('v86')), 'v86.wasm'),
  bios: { buffer: arrayBuffer(join(SEABIOS, 'bios.bin')) },
  vga_bios: { buffer: arrayBuffer(join(SEABIOS, 'vgabios-stdvga.bin')) },
  hda: { buffer: disk },
  memory_size: manifest.boot.memoryMiB * 1024 * 1024,
  vga_memory_size: manifest.boot.vgaMemoryMiB * 1024 * 1024,
  acpi: manifest.boot.acpi,
  autostart: true,
  disable_keyboard: true,
  disable_mouse: true,
  disable_speaker: true,
  screen_container: null,
});

// Each step waits for a pattern in the serial output since the step began,
// then types the next command. Patterns are chosen so the echo of the typed
// command itself can never match (e.g. $((6*7)) echoes as text, prints 42).
const PROMPT = /root@leaflab:[^\n]*# $/;
const steps = [
  { name: 'shell prompt', wait: PROMPT, send: 'uname -m; cat /proc/cmdline; echo done-$((6*7))\n' },
  { name: 'command output', wait: /done-42/, check: /i[3-6]86/ },
  { name: 'prompt', wait: PROMPT,
    send: "dd if=/dev/urandom of=/root/boot-check.bin bs=64k count=32 && sync && " +
          "echo wrote-$(($(wc -c </root/boot-check.bin)/1024))k && rm /root/boot-check.bin && sync; " +
          "awk '$2 == \"/\" {print \"root-\" $3 \"-\" substr($4, 1, 2)}' /proc/mounts\n" },
  { name: '2 MiB write + sync', wait: /wrote-2048k/ },
  { name: 'root mounted ext4 rw', wait: /root-ext4-rw/ },
];

const start = Date.now();
const secs = () => ((Date.now() - start) / 1000).toFixed(1);
let out = '';
let step = 0;
let promptAt = null;

emulator.add_listener('serial0-output-byte', (byte) => {
  const ch = String.fromCharCode(byte);
  if (!quiet) process.stdout.write(ch);
  out += ch;
  while (step < steps.length && steps[step].wait.test(out)) {
    const s = steps[step];
    if (s.check && !s.check.test(out)) fail(`${s.name}: output did not match ${s.check}`);
    if (promptAt === null && s.wait === PROMPT) promptAt = secs();
    out = '';
    step++;
    if (s.send) emulator.serial0_send(s.send);
  }
  if (step === steps.length) {
    console.log(`\nboot-check: OK: shell prompt after ${promptAt} s, all checks passed after ${secs()} s`);
    process.exit(0);
  }
});

setTimeout(() => {
  fail(`timed out after ${timeoutMs / 1000} s waiting for: ${steps[step].name}` +
       (promptAt ? ` (prompt came after ${promptAt} s)` : ''));
}, timeoutMs).unref?.();
// The emulator keeps the event loop alive; the timer above must still fire.
setInterval(() => {}, 1 << 30);
