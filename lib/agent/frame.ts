/**
 * The agent's frames (image/agent/PROTOCOL.md), both ways:
 *
 *   \n@LEAFLAB@ KIND ID FIELD… BODY-BYTES BODY-SHA256\n BASE64(BODY) \n
 *
 * The header is one line of ASCII words; the body is base64 on one line, so any bytes
 * (binary, newlines, control bytes) cross a raw serial line intact, and its length and
 * sha-256 let the reader reject a damaged frame instead of trusting it.
 */
import { toHex } from '../disk/sha256';
import { sha256Js } from '../disk/sha256-js';
import { encodeBase64 } from './base64';

export const FRAME_MAGIC = '@LEAFLAB@';
export const PROTOCOL_VERSION = 1;
/** A header longer than this is noise, not a frame. */
export const MAX_HEADER_BYTES = 512;

export interface Frame {
  kind: string;
  /** The request's id (0 for the agent's unprompted hello). */
  id: number;
  /** The words between the id and the body's length, as sent. */
  fields: string[];
  body: Uint8Array;
}

export function sha256Hex(bytes: Uint8Array): string {
  return toHex(sha256Js(bytes));
}

/** A frame's bytes. Words must be non-empty ASCII without spaces (the reader splits on them). */
export function encodeFrame(frame: Frame): Uint8Array {
  const words = [FRAME_MAGIC, frame.kind, String(frame.id), ...frame.fields];
  for (const word of words) {
    if (!/^[\x21-\x7e]+$/.test(word)) throw new Error(`a frame's header word must be printable ASCII without spaces, got ${JSON.stringify(word)}`);
  }
  const text = `\n${words.join(' ')} ${frame.body.length} ${sha256Hex(frame.body)}\n${encodeBase64(frame.body)}\n`;
  return new TextEncoder().encode(text);
}
