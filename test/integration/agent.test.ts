/**
 * The Leaflab agent in the default image, for real: leaflab-linux (catalog/, as built) boots in
 * v86 under Node with its second UART, the agent says hello on ttyS1, and the host client runs
 * scripts through it: exit status and output, a time limit that kills, binary output, a user,
 * the output cap. The student's console (ttyS0) must show none of it.
 * Booting takes minutes on a loaded machine; the disk file is never changed (copy-on-write).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { V86 } from 'v86';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '@/lib/agent/client';
import { parseManifest } from '@/lib/images/manifest';
import { SHELL_PROMPT_AT_END } from '@/lib/lab/serial-log';
import { FileDisk } from '../../image/tools/file-disk';
import { bootDiskV86Options } from '../../image/tools/headless-v86';

const folder = path.join(process.cwd(), 'catalog', 'leaflab-linux');
const BOOT_TIMEOUT_MS = 400_000;

let emulator: V86;
let disk: FileDisk;
let client: AgentClient;
let console0 = '';
let helloAfterMs: number | undefined;

beforeAll(async () => {
  const manifestPath = path.join(folder, 'manifest.json');
  const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  disk = new FileDisk(path.join(folder, 'disk.img'), { copyOnWrite: true });
  emulator = new V86(bootDiskV86Options(disk, manifest.boot));
  client = new AgentClient({ send: (bytes) => emulator.serial_send_bytes(1, bytes), helloTimeoutMs: BOOT_TIMEOUT_MS });
  const startedAtMs = Date.now();
  emulator.add_listener('serial0-output-byte', (byte: number) => (console0 += String.fromCharCode(byte)));
  emulator.add_listener('serial1-output-byte', (byte: number) => {
    client.receive(Uint8Array.of(byte));
    if (helloAfterMs === undefined && client.agentVersion !== undefined) helloAfterMs = Date.now() - startedAtMs;
  });
  // The first request waits for the agent's hello (the boot).
  const first = await client.run('echo ready');
  expect(first.outputText).toBe('ready\n');
  console.log(`agent: hello after ${((helloAfterMs ?? 0) / 1000).toFixed(1)} s`);
}, BOOT_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await emulator?.destroy();
  disk?.close();
});

describe('the agent in leaflab-linux', () => {
  it('returns a script\'s exit status and its stdout and stderr in order', async () => {
    const result = await client.run('echo hi; echo err >&2; exit 3');
    expect(result).toMatchObject({ status: 3, timedOut: false, truncated: false, outputText: 'hi\nerr\n' });
  }, 60_000);

  it('kills a script at its time limit, with all it started, and says so', async () => {
    const startedAtMs = Date.now();
    const result = await client.run('echo started; sleep 45; echo never', { timeLimitSeconds: 3 });
    expect(result).toMatchObject({ status: -1, timedOut: true, outputText: 'started\n' });
    expect(Date.now() - startedAtMs).toBeLessThan(40_000);
    // The sleep went with the script (its process group was killed).
    expect((await client.run("ps | grep -c '[s]leep 45'")).outputText).toBe('0\n');
  }, 90_000);

  it('carries binary output and runs as a named user through su', async () => {
    const result = await client.run("printf '\\000\\001\\377\\r\\n'; pwd; id -un", { user: 'root' });
    expect([...result.output.subarray(0, 5)]).toEqual([0, 1, 255, 13, 10]);
    expect(new TextDecoder().decode(result.output.subarray(5))).toBe('/root\nroot\n');
  }, 60_000);

  it('cuts output at 64 KiB and says so; the script still ends normally', async () => {
    const result = await client.run("head -c 70000 /dev/zero | tr '\\000' a; echo done >&2; exit 4", { timeLimitSeconds: 30 });
    expect(result.truncated).toBe(true);
    expect(result.status).toBe(4);
    expect(result.output.length).toBe(65536);
    expect(result.output.every((byte) => byte === 0x61)).toBe(true);
  }, 120_000);

  it('is started again when it dies, and the client says the request was lost', async () => {
    // The script kills the agent running it; init starts a new one, whose hello ends the wait.
    const killAgent = "ps | awk '/[u]sr\\/lib\\/leaflab\\/agent/ {print $1}' | while read -r pid; do kill -9 \"$pid\"; done; sleep 5";
    await expect(client.run(killAgent, { timeLimitSeconds: 20 })).rejects.toThrow('the Leaflab agent restarted while running the request');
    expect((await client.run('echo back')).outputText).toBe('back\n');
  }, 120_000);

  it("leaves no trace on the student's console, which still works", async () => {
    expect(console0).not.toContain('LEAFLAB');
    expect(console0).not.toContain('echo hi');
    expect(console0).not.toMatch(/ZWNobyBoaT|aGkKZXJyCg/); // the script and its output in base64
    // The console is a shell as before: a command typed there runs there.
    console0 = '';
    emulator.serial0_send('echo console-$((6*7))\n');
    await expect.poll(() => /console-42\r?\n/.test(console0) && SHELL_PROMPT_AT_END.test(console0), { timeout: 60_000 }).toBe(true);
    expect(console0).not.toContain('LEAFLAB');
  }, 90_000);
});
