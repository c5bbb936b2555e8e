/**
 * The agent's framing (lib/agent/frame*.ts): what the page decodes from ttyS1 must be exactly
 * what the agent framed, however the bytes arrive, and a damaged frame must never pass.
 */
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '@/lib/agent/base64';
import { encodeFrame, type Frame } from '@/lib/agent/frame';
import { FrameDecoder, type DamagedFrame } from '@/lib/agent/frame-decoder';

const text = (s: string) => new TextEncoder().encode(s);

function decodeAll(chunks: Uint8Array[]): { frames: Frame[]; damaged: DamagedFrame[] } {
  const frames: Frame[] = [];
  const damaged: DamagedFrame[] = [];
  const decoder = new FrameDecoder({ frame: (f) => frames.push(f), damaged: (d) => damaged.push(d) });
  for (const chunk of chunks) decoder.push(chunk);
  return { frames, damaged };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

const result: Frame = { kind: 'result', id: 7, fields: ['3', '0', '0'], body: text('hi\nerr\n') };

describe('base64', () => {
  it('round-trips every length and every byte value, as the guest\'s base64 encodes them', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let length = 0; length <= 10; length++) {
      const bytes = all.subarray(250 - length, 250);
      expect(decodeBase64(text(encodeBase64(bytes)))).toEqual(bytes);
    }
    expect(encodeBase64(all)).toBe(Buffer.from(all).toString('base64'));
    expect(decodeBase64(text('ab$d'))).toBeUndefined();
    expect(decodeBase64(text('abc'))).toBeUndefined();
  });
});

describe('the frame decoder', () => {
  it('decodes a frame split at every byte boundary, and fed one byte at a time', () => {
    const bytes = encodeFrame(result);
    for (let split = 0; split <= bytes.length; split++) {
      const { frames, damaged } = decodeAll([bytes.subarray(0, split), bytes.subarray(split)]);
      expect(damaged, `split at ${split}`).toEqual([]);
      expect(frames, `split at ${split}`).toEqual([result]);
    }
    expect(decodeAll([...bytes].map((b) => Uint8Array.of(b))).frames).toEqual([result]);
  });

  it('finds a frame after garbage, partial magics and a shell prompt', () => {
    const garbage = text('login: @LEAF@LEAFLAB\r\n\x00\xff@@@LEAFLA# ');
    const { frames } = decodeAll([concat(garbage, encodeFrame(result), text('@LEAFLAB'), encodeFrame({ ...result, id: 8 }))]);
    expect(frames.map((f) => f.id)).toEqual([7, 8]);
    expect(frames[0]).toEqual(result);
  });

  it('rejects a frame whose body does not match its sha-256, and reads the next one', () => {
    const bytes = encodeFrame(result);
    const damagedBytes = bytes.slice();
    // The body is the second line: change one base64 character in it ('a' <-> 'b').
    const bodyAt = bytes.indexOf(0x0a, 1) + 1;
    damagedBytes[bodyAt] = damagedBytes[bodyAt] === 0x61 ? 0x62 : 0x61;
    const { frames, damaged } = decodeAll([damagedBytes, encodeFrame({ ...result, id: 9 })]);
    expect(damaged).toEqual([{ id: 7, kind: 'result', reason: "the body's sha-256 does not match its header" }]);
    expect(frames.map((f) => f.id)).toEqual([9]);
  });

  it('rejects a frame with a corrupted checksum in its header', () => {
    const line = new TextDecoder().decode(encodeFrame(result));
    const corrupted = line.replace(/ ([0-9a-f])([0-9a-f]{63})\n/, (_, first: string, rest: string) => ` ${first === '0' ? '1' : '0'}${rest}\n`);
    expect(corrupted).not.toBe(line);
    const { frames, damaged } = decodeAll([text(corrupted)]);
    expect(frames).toEqual([]);
    expect(damaged).toHaveLength(1);
    expect(damaged[0]?.id).toBe(7);
  });

  it('reports a body cut short at once and keeps the frame that follows', () => {
    const bytes = encodeFrame({ ...result, body: new Uint8Array(300).fill(0x41) });
    const cut = bytes.subarray(0, bytes.length - 50);
    const { frames, damaged } = decodeAll([cut, encodeFrame({ ...result, id: 10 })]);
    expect(damaged.map((d) => d.reason)).toEqual(['the body is shorter than its header says']);
    expect(frames.map((f) => f.id)).toEqual([10]);
  });

  it('carries binary output: every byte value, CR, LF, NUL and the magic itself', () => {
    const body = concat(Uint8Array.from({ length: 256 }, (_, i) => i), text('\r\n@LEAFLAB@ result 1 0 0 0 0 x\n'));
    const frame: Frame = { kind: 'result', id: 11, fields: ['0', '0', '0'], body };
    const { frames } = decodeAll([encodeFrame(frame)]);
    expect(frames).toEqual([frame]);
  });

  it('carries output at the agent\'s 64 KiB cap', () => {
    const body = Uint8Array.from({ length: 65536 }, (_, i) => (i * 31) & 255);
    const frame: Frame = { kind: 'result', id: 12, fields: ['0', '0', '1'], body };
    const bytes = encodeFrame(frame);
    const { frames, damaged } = decodeAll([bytes.subarray(0, 40_000), bytes.subarray(40_000)]);
    expect(damaged).toEqual([]);
    expect(frames).toEqual([frame]);
  });

  it('drops a header line that never ends, then resynchronises', () => {
    const { frames, damaged } = decodeAll([text(`@LEAFLAB@ ${'x'.repeat(600)}`), encodeFrame(result)]);
    expect(damaged.map((d) => d.reason)).toEqual(['a header longer than 512 bytes']);
    expect(frames).toEqual([result]);
  });

  it('refuses header words with spaces or control bytes', () => {
    expect(() => encodeFrame({ kind: 'run', id: 1, fields: ['a b'], body: new Uint8Array() })).toThrow(/printable ASCII/);
  });
});
