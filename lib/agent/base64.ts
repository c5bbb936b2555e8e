/**
 * Base64 (RFC 4648, with padding) of bytes and back, in plain TypeScript: the agent's frames
 * carry their bodies this way, and this code runs in the page and in Node alike (no atob on
 * binary strings, no Buffer).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE_OF = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE_OF[ALPHABET.charCodeAt(i)] = i;
const PAD = 0x3d; // '='

/** How many base64 characters encode `byteCount` bytes. */
export function base64Length(byteCount: number): number {
  return Math.ceil(byteCount / 3) * 4;
}

export function encodeBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    text += ALPHABET.charAt(a >> 2) + ALPHABET.charAt(((a & 3) << 4) | (b >> 4));
    text += i + 1 < bytes.length ? ALPHABET.charAt(((b & 15) << 2) | (c >> 6)) : '=';
    text += i + 2 < bytes.length ? ALPHABET.charAt(c & 63) : '=';
  }
  return text;
}

/** The bytes base64 `characters` (ASCII codes) encode, or undefined if they are not base64. */
export function decodeBase64(characters: Uint8Array): Uint8Array | undefined {
  if (characters.length % 4 !== 0) return undefined;
  let padding = 0;
  if (characters.length > 0 && characters[characters.length - 1] === PAD) padding++;
  if (characters.length > 1 && characters[characters.length - 2] === PAD) padding++;
  const bytes = new Uint8Array((characters.length / 4) * 3 - padding);
  let out = 0;
  for (let i = 0; i < characters.length; i += 4) {
    let group = 0;
    for (let j = 0; j < 4; j++) {
      const code = characters[i + j] ?? 0;
      const isPadding = code === PAD && i + j >= characters.length - padding;
      const value = isPadding ? 0 : (VALUE_OF[code] ?? -1);
      if (value < 0) return undefined;
      group = (group << 6) | value;
    }
    if (out < bytes.length) bytes[out++] = (group >> 16) & 255;
    if (out < bytes.length) bytes[out++] = (group >> 8) & 255;
    if (out < bytes.length) bytes[out++] = group & 255;
  }
  return bytes;
}
