/** A layer's id: the lower-case hex sha-256 of its canonical descriptor bytes. */
import { sha256, toHex } from '../disk/sha256';

export async function layerIdOf(descriptorBytes: Uint8Array): Promise<string> {
  return toHex(await sha256(descriptorBytes));
}
