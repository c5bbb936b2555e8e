/**
 * The agent script (image/agent/leaflab-agent) under Debian's dash, coreutils and util-linux,
 * as in debian-lab, on the host: util-linux's `script` gives it a pseudo-terminal for a line
 * (the agent sets it raw itself, as it does ttyS1), and the host client talks to it through
 * script's stdin and stdout. The BusyBox side is test/integration/agent.test.ts, in v86.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '@/lib/agent/client';

const agentPath = path.join(process.cwd(), 'image', 'agent', 'leaflab-agent');
const workFolder = mkdtempSync(path.join(tmpdir(), 'leaflab-agent-'));
let line: ChildProcessWithoutNullStreams;
let client: AgentClient;

beforeAll(() => {
  // -q: no "Script started" banner; -e: script exits with the agent; /dev/null: no typescript file.
  line = spawn('script', ['-q', '-e', '-c', `dash ${agentPath} /dev/tty`, '/dev/null'], {
    env: { ...process.env, LEAFLAB_AGENT_WORK: workFolder },
  });
  client = new AgentClient({ send: (bytes) => line.stdin.write(bytes), helloTimeoutMs: 20_000 });
  line.stdout.on('data', (bytes: Buffer) => client.receive(new Uint8Array(bytes)));
});

afterAll(() => {
  line.kill();
  rmSync(workFolder, { recursive: true, force: true });
});

describe('the agent under dash and coreutils', () => {
  it('says hello and returns status and output, stderr included', async () => {
    const result = await client.run('echo hi; echo err >&2; exit 3');
    expect(client.agentVersion).toBe(1);
    expect(result).toMatchObject({ status: 3, timedOut: false, truncated: false, outputText: 'hi\nerr\n' });
  }, 30_000);

  it('kills a script and its children at the time limit', async () => {
    const marker = `leaflab-agent-test-${process.pid}`;
    const result = await client.run(`echo started; sleep 40 && touch ${workFolder}/${marker}; echo never`, { timeLimitSeconds: 2 });
    expect(result).toMatchObject({ status: -1, timedOut: true, outputText: 'started\n' });
    const left = await client.run(`ps -eo args | grep -c '^sleep 40$' || true`);
    expect(left.outputText).toBe('0\n');
  }, 30_000);

  it('carries binary output and cuts it at 64 KiB', async () => {
    const binary = await client.run("printf '\\000\\001\\377\\r\\n\\003'");
    expect([...binary.output]).toEqual([0, 1, 255, 13, 10, 3]);
    const big = await client.run("head -c 70000 /dev/zero; exit 5", { timeLimitSeconds: 20 });
    expect(big).toMatchObject({ status: 5, truncated: true });
    expect(big.output.length).toBe(65536);
  }, 60_000);

  it('runs as a named user with su, from that user\'s home', async () => {
    const result = await client.run('pwd; id -un', { user: 'root' });
    expect(result).toMatchObject({ status: 0, outputText: '/root\nroot\n' });
  }, 30_000);

  it('answers a request whose script is damaged in transit with an error, and keeps serving', async () => {
    // A run frame whose body does not match its sha-256 (as line noise would leave it).
    const bad = '\n@LEAFLAB@ run 9999 5 - 4 ' + '0'.repeat(64) + '\ndHJ1ZQ==\n';
    const answer = new Promise<string>((resolve) => {
      const onData = (bytes: Buffer) => {
        const text = bytes.toString('latin1');
        if (text.includes('error 9999')) {
          line.stdout.off('data', onData);
          resolve(text);
        }
      };
      line.stdout.on('data', onData);
    });
    line.stdin.write(bad);
    expect(await answer).toMatch(/@LEAFLAB@ error 9999 bad-body \d+ [0-9a-f]{64}/);
    expect((await client.run('echo still')).outputText).toBe('still\n');
  }, 30_000);
});
