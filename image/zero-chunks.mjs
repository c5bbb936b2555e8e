#!/usr/bin/env node
// Scans a disk image once and reports its sha-256 plus the run-length list of
// all-zero chunks ([startIndex, count] pairs). Clients never fetch those
// chunks, so the list must be exact: a chunk is "zero" only if every byte is.
// Usage: node image/zero-chunks.mjs disk.img [chunkSize]   (prints JSON)
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function scanImage(path, chunkSize = 65536) {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const hash = createHash('sha256');
    const buf = Buffer.alloc(chunkSize);
    const zeroChunks = [];
    for (let index = 0, offset = 0; offset < size; index++, offset += chunkSize) {
      const n = readSync(fd, buf, 0, Math.min(chunkSize, size - offset), offset);
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      if (isZero(chunk)) {
        const last = zeroChunks.at(-1);
        if (last && last[0] + last[1] === index) last[1]++;
        else zeroChunks.push([index, 1]);
      }
    }
    return { sizeBytes: size, sha256: hash.digest('hex'), chunkSizeBytes: chunkSize, zeroChunks };
  } finally {
    closeSync(fd);
  }
}

function isZero(buf) {
  // Compare 8 bytes at a time; chunk sizes are multiples of 8.
  const words = new BigUint64Array(buf.buffer, buf.byteOffset, buf.length >> 3);
  for (const w of words) if (w !== 0n) return false;
  for (let i = words.length << 3; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [path, chunk] = process.argv.slice(2);
  if (!path) {
    console.error('usage: node zero-chunks.mjs disk.img [chunkSize]');
    process.exit(2);
  }
  console.log(JSON.stringify(scanImage(path, chunk ? Number(chunk) : undefined)));
}
