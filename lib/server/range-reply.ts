/**
 * What to answer a GET or HEAD of an immutable byte sequence with a strong ETag and no
 * modification date, following RFC 9110: preconditions in the order of section 13.2.2
 * (If-Match, If-None-Match; If-Unmodified-Since and If-Modified-Since are ignored because the
 * resource has no modification date), then If-Range (13.1.5: a strong, exact match; a date never
 * matches) and a single byte range (14.1, 14.2). Pure: it only decides; the caller writes.
 *
 * - An invalid Range (unknown unit, bad syntax, last < first) is ignored: 200 with everything.
 * - Satisfiable ranges are sorted and coalesced where they overlap or touch. One range gives 206;
 *   several disjoint ones give 200 with everything (no multipart replies).
 * - No satisfiable range gives 416 with `Content-Range: bytes *\/SIZE`.
 * - HEAD is answered with the headers a GET would get, as before (a Range selects 206).
 */
import type { IncomingHttpHeaders } from 'node:http';

export type ReplyPlan =
  /** Body: bytes [startBytes, endBytes) (end exclusive); `contentRange` only for 206. */
  | { status: 200 | 206; startBytes: number; endBytes: number; contentRange?: string }
  | { status: 304 }
  | { status: 412 }
  | { status: 416; contentRange: string };

interface EntityTag {
  weak: boolean;
  opaque: string;
}

const ENTITY_TAG_LIST_ITEM = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/** `*`, or the entity tags of an If-Match / If-None-Match list; undefined when malformed. */
function parseEntityTagList(value: string): '*' | EntityTag[] | undefined {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  for (const item of value.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const match = ENTITY_TAG_LIST_ITEM.exec(trimmed);
    if (!match) return undefined;
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
  }
  return tags;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Strong comparison (If-Match, If-Range): both strong and identical. */
function strongMatch(tag: EntityTag, current: EntityTag): boolean {
  return !tag.weak && !current.weak && tag.opaque === current.opaque;
}

type ParsedRange = { kind: 'ignore' } | { kind: 'unsatisfiable' } | { kind: 'ranges'; ranges: Array<[number, number]> };

const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;

/** RFC 9110 14.1.1 byte ranges, as inclusive [first, last] pairs clipped to the size. */
function parseByteRanges(value: string, sizeBytes: number): ParsedRange {
  const equals = value.indexOf('=');
  if (equals < 0 || value.slice(0, equals).trim().toLowerCase() !== 'bytes') return { kind: 'ignore' };
  const size = BigInt(sizeBytes);
  const satisfiable: Array<[number, number]> = [];
  let specCount = 0;
  for (const item of value.slice(equals + 1).split(',')) {
    const spec = item.trim();
    if (spec === '') continue;
    specCount += 1;
    const intRange = INT_RANGE.exec(spec);
    if (intRange) {
      const first = BigInt(intRange[1]!);
      const last = intRange[2] === '' ? undefined : BigInt(intRange[2]!);
      if (last !== undefined && last < first) return { kind: 'ignore' }; // an invalid range-spec
      if (first < size) satisfiable.push([Number(first), Number(last === undefined || last >= size ? size - 1n : last)]);
      continue;
    }
    const suffix = SUFFIX_RANGE.exec(spec);
    if (suffix) {
      const length = BigInt(suffix[1]!);
      if (length > 0n && size > 0n) satisfiable.push([Number(length >= size ? 0n : size - length), Number(size - 1n)]);
      continue;
    }
    return { kind: 'ignore' };
  }
  if (specCount === 0) return { kind: 'ignore' };
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  satisfiable.sort((a, b) => a[0] - b[0]);
  const coalesced: Array<[number, number]> = [];
  for (const [first, last] of satisfiable) {
    const previous = coalesced.at(-1);
    if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else coalesced.push([first, last]);
  }
  return { kind: 'ranges', ranges: coalesced };
}

/** `etag` is the resource's strong entity tag, quotes included (`"sha256-…"`). */
export function planReply(headers: IncomingHttpHeaders, sizeBytes: number, etag: string): ReplyPlan {
  const current: EntityTag = { weak: false, opaque: etag.slice(1, -1) };

  const ifMatch = headerText(headers['if-match']);
  if (ifMatch !== undefined) {
    const tags = parseEntityTagList(ifMatch);
    const holds = tags === '*' || (tags !== undefined && tags.some((tag) => strongMatch(tag, current)));
    if (!holds) return { status: 412 };
  }
  const ifNoneMatch = headerText(headers['if-none-match']);
  if (ifNoneMatch !== undefined) {
    const tags = parseEntityTagList(ifNoneMatch);
    // Weak comparison: the opaque tags are equal, whatever the W/ prefixes say.
    const matches = tags === '*' || (tags !== undefined && tags.some((tag) => tag.opaque === current.opaque));
    if (matches) return { status: 304 };
  }

  const everything: ReplyPlan = { status: 200, startBytes: 0, endBytes: sizeBytes };
  const range = headerText(headers.range);
  if (range === undefined) return everything;
  const ifRange = headerText(headers['if-range']);
  if (ifRange !== undefined) {
    const tag = ENTITY_TAG_LIST_ITEM.exec(ifRange.trim());
    // A date never matches: the resource has no modification date.
    if (!tag || !strongMatch({ weak: tag[1] !== undefined, opaque: tag[2]! }, current)) return everything;
  }
  const parsed = parseByteRanges(range, sizeBytes);
  if (parsed.kind === 'ignore') return everything;
  if (parsed.kind === 'unsatisfiable') return { status: 416, contentRange: `bytes */${sizeBytes}` };
  if (parsed.ranges.length > 1) return everything;
  const [first, last] = parsed.ranges[0]!;
  return { status: 206, startBytes: first, endBytes: last + 1, contentRange: `bytes ${first}-${last}/${sizeBytes}` };
}
