import { describe, expect, it } from 'vitest';
import { planReply } from '@/lib/server/range-reply';

const SIZE = 10_000;
const ETAG = '"sha256-abc"';
const plan = (headers: Record<string, string>) => planReply(headers, SIZE, ETAG);
const everything = { status: 200, startBytes: 0, endBytes: SIZE };
const range = (first: number, last: number) => ({ status: 206, startBytes: first, endBytes: last + 1, contentRange: `bytes ${first}-${last}/${SIZE}` });

describe('planReply: ranges (RFC 9110 14.1, 14.2)', () => {
  it.each([
    ['bytes=0-499', range(0, 499)],
    ['bytes=500-', range(500, SIZE - 1)],
    ['bytes=-300', range(SIZE - 300, SIZE - 1)],
    ['bytes=-99999999999999999999999', range(0, SIZE - 1)],
    [`bytes=${SIZE - 10}-99999999999999999999999`, range(SIZE - 10, SIZE - 1)],
    ['BYTES=1-2', range(1, 2)],
    ['bytes= 1-2 , ', range(1, 2)],
    ['bytes=0-10,5-20', range(0, 20)],
    ['bytes=10-19,0-9', range(0, 19)],
    [`bytes=0-1,${SIZE}-`, range(0, 1)],
  ])('%s gives 206 with the single range', (header, expected) => {
    expect(plan({ range: header })).toEqual(expected);
  });

  it.each([`bytes=${SIZE}-`, `bytes=${SIZE + 1}-${SIZE + 100}`, 'bytes=-0', 'bytes=99999999999999999999999-'])(
    '%s is unsatisfiable: 416 with bytes */SIZE',
    (header) => {
      expect(plan({ range: header })).toEqual({ status: 416, contentRange: `bytes */${SIZE}` });
    },
  );

  it.each(['bytes=5-3', 'bytes=abc', 'bytes=', 'bytes=,', 'items=0-1', 'bytes 0-1', 'bytes=0-1;x', 'bytes=--1', 'bytes=1-2-3', 'bytes=0x1-2', 'bytes=0-0,20-30'])(
    '%s is ignored (invalid, another unit, or several disjoint ranges): 200 with everything',
    (header) => {
      expect(plan({ range: header })).toEqual(everything);
    },
  );
});

describe('planReply: preconditions (RFC 9110 13.1, 13.2.2)', () => {
  it('If-Match needs a strong match or *, else 412', () => {
    expect(plan({ 'if-match': ETAG })).toEqual(everything);
    expect(plan({ 'if-match': `"other", ${ETAG}` })).toEqual(everything);
    expect(plan({ 'if-match': '*' })).toEqual(everything);
    expect(plan({ 'if-match': `W/${ETAG}` })).toEqual({ status: 412 });
    expect(plan({ 'if-match': '"other"' })).toEqual({ status: 412 });
    expect(plan({ 'if-match': 'garbage' })).toEqual({ status: 412 });
  });

  it('If-None-Match uses the weak comparison: a match gives 304, before any range', () => {
    expect(plan({ 'if-none-match': ETAG, range: 'bytes=0-1' })).toEqual({ status: 304 });
    expect(plan({ 'if-none-match': `W/${ETAG}` })).toEqual({ status: 304 });
    expect(plan({ 'if-none-match': '*' })).toEqual({ status: 304 });
    expect(plan({ 'if-none-match': '"other"', range: 'bytes=0-1' })).toEqual(range(0, 1));
    expect(plan({ 'if-none-match': 'garbage' })).toEqual(everything);
  });

  it('If-Range selects the range only on a strong, exact match; a date or weak tag gives everything', () => {
    expect(plan({ range: 'bytes=0-1', 'if-range': ETAG })).toEqual(range(0, 1));
    expect(plan({ range: 'bytes=0-1', 'if-range': `W/${ETAG}` })).toEqual(everything);
    expect(plan({ range: 'bytes=0-1', 'if-range': '"sha256-0000"' })).toEqual(everything);
    expect(plan({ range: 'bytes=0-1', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' })).toEqual(everything);
    expect(plan({ range: `bytes=${SIZE}-`, 'if-range': '"other"' })).toEqual(everything);
    expect(plan({ 'if-range': '"other"' })).toEqual(everything);
  });

  it('ignores the date preconditions: the resource has no modification date', () => {
    expect(plan({ 'if-modified-since': 'Wed, 21 Oct 2099 07:28:00 GMT' })).toEqual(everything);
    expect(plan({ 'if-unmodified-since': 'Wed, 21 Oct 1990 07:28:00 GMT', range: 'bytes=1-1' })).toEqual(range(1, 1));
  });
});
