/**
 * A streaming reader of the agent's frames: bytes go in as they arrive (split anywhere, with
 * anything before a frame), whole frames come out. A damaged frame (bad header, body of the
 * wrong length or sha-256) is reported and skipped: the reader looks for the next magic.
 */
import { base64Length, decodeBase64 } from './base64';
import { FRAME_MAGIC, MAX_HEADER_BYTES, sha256Hex, type Frame } from './frame';

export interface DamagedFrame {
  /** The id from the header when it could be read: the request this answer was meant for. */
  id?: number;
  kind?: string;
  reason: string;
}

export interface FrameHandlers {
  frame(frame: Frame): void;
  damaged?(damage: DamagedFrame): void;
}

const MAGIC_BYTES = new TextEncoder().encode(FRAME_MAGIC);
const NEWLINE = 0x0a;

function isBase64Character(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2b || byte === 0x2f || byte === 0x3d;
}

type State =
  | { at: 'magic'; matched: number }
  | { at: 'header'; bytes: number[] }
  | { at: 'body'; header: ParsedHeader; characters: Uint8Array; filled: number };

interface ParsedHeader {
  kind: string;
  id: number;
  fields: string[];
  bodyBytes: number;
  bodySha256: string;
}

/** The header line after the magic, or why it is not one. */
function parseHeader(line: string): ParsedHeader | DamagedFrame {
  const words = line.trim().split(' ');
  if (words.length < 4) return { reason: `a header needs a kind, an id, a length and a sha-256: "${line}"` };
  const [kind = '', idText = '', ...rest] = words;
  const id = /^\d{1,15}$/.test(idText) ? Number(idText) : undefined;
  const bodySha256 = rest.pop() ?? '';
  const lengthText = rest.pop() ?? '';
  if (id === undefined) return { kind, reason: `bad request id "${idText}"` };
  if (!/^\d{1,9}$/.test(lengthText)) return { id, kind, reason: `bad body length "${lengthText}"` };
  if (!/^[0-9a-f]{64}$/.test(bodySha256)) return { id, kind, reason: `bad body sha-256 "${bodySha256}"` };
  return { kind, id, fields: rest, bodyBytes: Number(lengthText), bodySha256 };
}

export class FrameDecoder {
  private state: State = { at: 'magic', matched: 0 };

  constructor(private readonly handlers: FrameHandlers) {}

  push(bytes: Uint8Array): void {
    for (const byte of bytes) this.pushByte(byte);
  }

  private pushByte(byte: number): void {
    const state = this.state;
    switch (state.at) {
      case 'magic':
        if (byte === MAGIC_BYTES[state.matched]) {
          state.matched++;
          if (state.matched === MAGIC_BYTES.length) this.state = { at: 'header', bytes: [] };
        } else {
          // The magic has no repeated prefix, so a mismatch can only restart at this byte.
          state.matched = byte === MAGIC_BYTES[0] ? 1 : 0;
        }
        return;
      case 'header':
        if (byte !== NEWLINE) {
          state.bytes.push(byte);
          if (state.bytes.length > MAX_HEADER_BYTES) this.damaged({ reason: `a header longer than ${MAX_HEADER_BYTES} bytes` });
          return;
        }
        this.beginBody(String.fromCharCode(...state.bytes));
        return;
      case 'body':
        if (state.filled < state.characters.length) {
          if (!isBase64Character(byte)) {
            // Bytes were lost: say so now, and let this byte (a newline, the next magic's
            // '@') start the search for the next frame.
            this.damaged({ id: state.header.id, kind: state.header.kind, reason: 'the body is shorter than its header says' });
            this.pushByte(byte);
            return;
          }
          state.characters[state.filled++] = byte;
          return;
        }
        this.finish(state.header, state.characters, byte);
        return;
    }
  }

  private beginBody(line: string): void {
    const header = parseHeader(line);
    if ('reason' in header) return this.damaged(header);
    this.state = { at: 'body', header, characters: new Uint8Array(base64Length(header.bodyBytes)), filled: 0 };
  }

  /** The body's characters are all in; `terminator` is the byte after them (a newline). */
  private finish(header: ParsedHeader, characters: Uint8Array, terminator: number): void {
    const { id, kind } = header;
    if (terminator !== NEWLINE) return this.damaged({ id, kind, reason: 'the body is longer than its header says' });
    const body = decodeBase64(characters);
    if (!body || body.length !== header.bodyBytes) return this.damaged({ id, kind, reason: 'the body is not the base64 of as many bytes as its header says' });
    if (sha256Hex(body) !== header.bodySha256) return this.damaged({ id, kind, reason: "the body's sha-256 does not match its header" });
    this.state = { at: 'magic', matched: 0 };
    this.handlers.frame({ kind, id, fields: header.fields, body });
  }

  private damaged(damage: DamagedFrame): void {
    this.state = { at: 'magic', matched: 0 };
    this.handlers.damaged?.(damage);
  }
}
