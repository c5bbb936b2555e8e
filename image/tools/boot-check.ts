/**
 * Boots a catalog image in v86 under Node, as the lab boots it (SeaBIOS, the disk's own boot
 * loader), and runs a few commands at its shell prompt: a quick check of a build without a
 * browser. The disk file is never changed: the guest's writes stay in memory.
 *
 * Usage: tsx image/tools/boot-check.ts [ID] [--catalog DIR] [--timeout-s 240] [--echo]
 * Exits 0 when every check passed; prints how long the prompt took.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { V86 } from 'v86';
import { parseManifest } from '../../lib/images/manifest';
import { SHELL_PROMPT_AT_END } from '../../lib/lab/serial-log';
import { FileDisk } from './file-disk';
import { bootDiskV86Options } from './headless-v86';

interface Check {
  /** Typed at the prompt. */
  command: string;
  /** Must appear in what the command printed (the typed echo is not part of it). */
  expect: RegExp;
}

/** Every image: a 32-bit x86 kernel, a writable root, arithmetic in the shell. */
const COMMON_CHECKS: Check[] = [
  { command: 'uname -m', expect: /\bi[3-6]86\b/ },
  { command: 'cat /proc/mounts', expect: /^\S+ \/ ext[234] rw[, ]/m },
  { command: 'echo sum-$((6*7))', expect: /sum-42/ },
];

/** What a lab image promises on top (issue #9). */
const IMAGE_CHECKS: Record<string, Check[]> = {
  'debian-lab': [
    { command: 'id -un; sudo -n id -un', expect: /student\r?\nroot/ },
    { command: "python3 -c 'print(6*7)'", expect: /^42\r?$/m },
    {
      command: "printf 'int main(void) { return 6 * 7; }\\n' >/tmp/c.c && gcc -Wall /tmp/c.c -o /tmp/c; /tmp/c; echo status-$?",
      expect: /^status-42\r?$/m,
    },
    { command: 'cd /tmp && git init -q g && cd g && git commit -q --allow-empty -m first && git log --oneline | wc -l; cd', expect: /^1\r?$/m },
    { command: 'man ls | head -n 4 | tr -s " "', expect: /ls - list directory contents/ },
    { command: 'dpkg -l bash python3 gcc | grep -c ^ii', expect: /^3\r?$/m },
  ],
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      catalog: { type: 'string', default: path.join(process.cwd(), 'catalog') },
      'timeout-s': { type: 'string', default: '240' },
      echo: { type: 'boolean', default: false },
    },
  });
  const id = positionals[0] ?? 'leaflab-linux';
  const folder = path.join(values.catalog, id);
  const manifestPath = path.join(folder, 'manifest.json');
  const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  const disk = new FileDisk(path.join(folder, 'disk.img'), { copyOnWrite: true });
  const emulator = new V86(bootDiskV86Options(disk, manifest.boot));

  const checks = [...COMMON_CHECKS, ...(IMAGE_CHECKS[id] ?? [])];
  const startedAtMs = Date.now();
  const seconds = () => ((Date.now() - startedAtMs) / 1000).toFixed(1);
  let output = '';
  let promptAfter: string | undefined;
  let current = -1; // -1: waiting for the first prompt
  const failures: string[] = [];

  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${values['timeout-s']} s at check ${current + 1}; last output:\n${output.slice(-2000)}`)),
      Number(values['timeout-s']) * 1000,
    );
    let quiet: NodeJS.Timeout | undefined;
    // Called once the guest has been quiet for a moment at a prompt: a shell may still send a
    // query after its prompt, and typing into that would garble the command.
    const atPrompt = () => {
      if (current === -1) promptAfter = seconds();
      else {
        const check = checks[current]!;
        // What the command printed: after the echoed command line, before the new prompt.
        const printed = output.slice(output.indexOf('\n') + 1);
        const ok = check.expect.test(printed);
        console.log(`${ok ? 'ok  ' : 'FAIL'} ${check.command}`);
        if (!ok) failures.push(`${check.command}\n  expected ${check.expect}, got:\n${printed}`);
      }
      current += 1;
      output = '';
      if (current === checks.length) {
        clearTimeout(timer);
        resolve();
        return;
      }
      emulator.serial0_send(`${checks[current]!.command}\n`);
    };
    emulator.add_listener('serial0-output-byte', (byte: number) => {
      const char = String.fromCharCode(byte);
      if (values.echo) process.stderr.write(char);
      output += char;
      clearTimeout(quiet);
      if (SHELL_PROMPT_AT_END.test(output)) quiet = setTimeout(atPrompt, 300);
    });
  });
  try {
    await done;
  } finally {
    await emulator.destroy();
    disk.close();
  }
  if (failures.length > 0) throw new Error(`${failures.length} check(s) failed:\n${failures.join('\n')}`);
  console.log(`boot-check ${id}: OK, shell prompt after ${promptAfter} s, ${checks.length} checks passed after ${seconds()} s`);
}

main().catch((error: unknown) => {
  console.error(`boot-check: FAIL: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
