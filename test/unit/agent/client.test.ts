/**
 * The agent client (lib/agent/client.ts) against a scripted guest that speaks the real framing:
 * one request at a time in call order, time limits, and the "cannot run checks" answer for an
 * image without an agent.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentClient, AgentUnavailableError } from '@/lib/agent/client';
import { encodeFrame, type Frame } from '@/lib/agent/frame';
import { FrameDecoder } from '@/lib/agent/frame-decoder';

const text = (s: string) => new TextEncoder().encode(s);
const hello = (id: number) => encodeFrame({ kind: 'hello', id, fields: ['1', '65536'], body: new Uint8Array() });

/** A guest whose agent hands each request to `answer` (which may answer later, or never). */
function scriptedGuest(answer: (request: Frame, reply: (bytes: Uint8Array) => void) => void) {
  const requests: Frame[] = [];
  // Called only once the client below exists (the guest answers what the client sent).
  const reply = (bytes: Uint8Array) => client.receive(bytes);
  const decoder = new FrameDecoder({
    frame: (request) => {
      requests.push(request);
      answer(request, reply);
    },
  });
  const client = new AgentClient({ send: (bytes) => decoder.push(bytes), helloTimeoutMs: 5_000, answerMarginMs: 1_000 });
  return { client, requests, reply };
}

const resultFrame = (id: number, status: number, output: string) =>
  encodeFrame({ kind: 'result', id, fields: [String(status), '0', '0'], body: text(output) });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('the agent client', () => {
  it('waits for the hello, then returns the status and output of a run', async () => {
    const guest = scriptedGuest((request, reply) => {
      if (request.kind === 'ping') reply(hello(request.id));
      if (request.kind === 'run') reply(resultFrame(request.id, 3, 'hi\nerr\n'));
    });
    const result = await guest.client.run('echo hi; echo err >&2; exit 3', { timeLimitSeconds: 5 });
    expect(result).toMatchObject({ status: 3, timedOut: false, truncated: false, outputText: 'hi\nerr\n' });
    const run = guest.requests.find((r) => r.kind === 'run');
    expect(run?.fields).toEqual(['5', '-']);
    expect(new TextDecoder().decode(run?.body)).toBe('echo hi; echo err >&2; exit 3');
  });

  it('queues concurrent requests: the second is sent only after the first is answered', async () => {
    const runs: Frame[] = [];
    let answerFirst: (() => void) | undefined;
    const guest = scriptedGuest((request, reply) => {
      if (request.kind === 'ping') return reply(hello(request.id));
      runs.push(request);
      const respond = () => reply(resultFrame(request.id, runs.length, new TextDecoder().decode(request.body)));
      if (runs.length === 1) answerFirst = respond;
      else respond();
    });
    const first = guest.client.run('first');
    const second = guest.client.run('second');
    await vi.advanceTimersByTimeAsync(100);
    expect(runs.map((r) => new TextDecoder().decode(r.body))).toEqual(['first']);
    answerFirst?.();
    expect((await first).outputText).toBe('first');
    expect((await second).outputText).toBe('second');
    expect(runs.map((r) => new TextDecoder().decode(r.body))).toEqual(['first', 'second']);
  });

  it('says the image cannot run checks when no agent ever answers', async () => {
    const guest = scriptedGuest(() => undefined);
    const outcome = guest.client.run('true').catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_001);
    const error = await outcome;
    expect(error).toBeInstanceOf(AgentUnavailableError);
    expect((error as Error).message).toBe('this image cannot run checks (no Leaflab agent answered on ttyS1 within 5 s)');
    // It kept asking while it waited (the agent may start after the page).
    expect(guest.requests.filter((r) => r.kind === 'ping').length).toBeGreaterThan(1);
  });

  it('fails a request the agent never answers after its time limit and margin, and the next one still runs', async () => {
    let answerRuns = false;
    const guest = scriptedGuest((request, reply) => {
      if (request.kind === 'ping') reply(hello(request.id));
      else if (answerRuns) reply(resultFrame(request.id, 0, 'ok'));
    });
    const lost = guest.client.run('sleep 100', { timeLimitSeconds: 2 }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2_999);
    const next = guest.client.run('true');
    answerRuns = true; // the lost request was sent already; the next is queued behind it
    const pingsBefore = guest.requests.filter((r) => r.kind === 'ping').length;
    await vi.advanceTimersByTimeAsync(2);
    expect(String(await lost)).toMatch(/did not answer request \d+ \(run\) within 3 s/);
    expect((await next).outputText).toBe('ok');
    // After a lost answer the client asks for a hello again before the next request.
    expect(guest.requests.filter((r) => r.kind === 'ping').length).toBe(pingsBefore + 1);
  });

  it('reports the agent\'s timeout result as such', async () => {
    const guest = scriptedGuest((request, reply) => {
      if (request.kind === 'ping') reply(hello(request.id));
      else reply(encodeFrame({ kind: 'result', id: request.id, fields: ['-1', '1', '0'], body: text('started\n') }));
    });
    expect(await guest.client.run('echo started; sleep 100', { timeLimitSeconds: 1 })).toMatchObject({ status: -1, timedOut: true, outputText: 'started\n' });
  });

  it('rejects a damaged answer instead of trusting it, and an agent error with its message', async () => {
    let damage = true;
    const guest = scriptedGuest((request, reply) => {
      if (request.kind === 'ping') return reply(hello(request.id));
      if (!damage) return reply(encodeFrame({ kind: 'error', id: request.id, fields: ['bad-body'], body: text('line noise?') }));
      const bytes = resultFrame(request.id, 0, 'all good');
      const at = bytes.length - 3;
      bytes[at] = (bytes[at] ?? 0) ^ 1; // one base64 character of the body
      reply(bytes);
    });
    await expect(guest.client.run('true')).rejects.toThrow(/arrived damaged: the body's sha-256 does not match/);
    damage = false;
    await expect(guest.client.run('true')).rejects.toThrow(/refused request \d+ \(bad-body\): line noise\?/);
  });

  it('refuses what it cannot send before sending anything', async () => {
    const guest = scriptedGuest(() => undefined);
    await expect(guest.client.run('true', { user: 'x; rm -rf /' })).rejects.toThrow(/not a user name/);
    await expect(guest.client.run('true', { timeLimitSeconds: 0.5 })).rejects.toThrow(/whole number/);
    expect(guest.requests).toEqual([]);
  });
});
