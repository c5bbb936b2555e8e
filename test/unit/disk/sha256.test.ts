import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '@/lib/disk/sha256';
import { sha256Js } from '@/lib/disk/sha256-js';
import { patternBytes } from './helpers/bytes';

const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('sha256 (Web Crypto) and its plain TypeScript fallback', () => {
  it('match the FIPS 180-4 examples', async () => {
    const abc = new TextEncoder().encode('abc');
    const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(toHex(sha256Js(abc))).toBe(expected);
    expect(toHex(await sha256(abc))).toBe(expected);
    expect(toHex(sha256Js(new Uint8Array()))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('agree with Node on every length around the padding boundaries and on a 64 KiB chunk', async () => {
    const bytes = patternBytes(64 * 1024 + 3, 9);
    for (let length = 0; length <= 200; length += 1) {
      expect(toHex(sha256Js(bytes.subarray(0, length))), `length ${length}`).toBe(nodeSha256(bytes.subarray(0, length)));
    }
    expect(toHex(sha256Js(bytes))).toBe(nodeSha256(bytes));
    // A view into a larger buffer hashes only its own bytes.
    const view = bytes.subarray(100, 1100);
    expect(toHex(await sha256(view))).toBe(nodeSha256(view));
    expect(toHex(sha256Js(view))).toBe(nodeSha256(view));
  });
});
