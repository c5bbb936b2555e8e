/**
 * Layer chains against a plain byte array: random writes (sector-aligned and 256-byte ones),
 * checkpoints issued while writes are in flight, reads of every kind, reopening the disk from
 * its stored chain, restoring to a checkpoint and forking one. After every step the device
 * must read exactly what the array model holds (design invariant 1), `layerIdOfSector` must
 * name the layer that last wrote each sector, and the fast layer counts must agree with the
 * per-sector answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCheckpointLayer } from '@/lib/disk/checkpoint-layer';
import type { FrozenLayer } from '@/lib/disk/frozen-layer';
import { LayerChainError } from '@/lib/disk/layer-chain';
import { MemoryLeafBacking, MemoryLeafStore } from '@/lib/disk/memory-leaf-store';
import { MemoryRootSource } from '@/lib/disk/root-source';
import { UnionDevice } from '@/lib/disk/union-device';

const SECTOR = 512;
const BLOCK_SIZE_BYTES = 4096; // 8 sectors: writes often share blocks with earlier layers
const DISK_BYTES = 64 * 1024;
const ROOT_IDENTITY = { id: 'chain-root', sizeBytes: DISK_BYTES, sha256: 'a'.repeat(64) };

function rootBytes(): Uint8Array {
  const bytes = new Uint8Array(DISK_BYTES);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  return bytes;
}

/** Byte equality without the generic deep-equal's cost (64 KiB compared after every step). */
function expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.compare(Buffer.from(actual), Buffer.from(expected)) === 0) return;
  const at = actual.findIndex((byte, i) => byte !== expected[i]);
  throw new Error(`${what}: ${actual.length} bytes read, ${expected.length} expected, first difference at byte ${at}`);
}

type Op =
  | { kind: 'write'; offsetBytes: number; lengthBytes: number; fill: number; awaitIt: boolean }
  | { kind: 'read'; offsetBytes: number; lengthBytes: number }
  | { kind: 'checkpoint' }
  | { kind: 'reopen' }
  | { kind: 'restore'; which: number }
  | { kind: 'fork'; which: number };

const writeArb = fc
  .record({ unit: fc.constantFrom(256, 512), start: fc.nat(255), count: fc.integer({ min: 1, max: 24 }), fill: fc.integer({ min: 1, max: 255 }), awaitIt: fc.boolean() })
  .map(({ unit, start, count, fill, awaitIt }): Op => {
    const offsetBytes = Math.min(start * 256, DISK_BYTES - unit);
    const lengthBytes = Math.min(count * unit, DISK_BYTES - offsetBytes);
    return { kind: 'write', offsetBytes, lengthBytes: lengthBytes - (lengthBytes % 256), fill, awaitIt };
  });
const readArb = fc.record({ start: fc.nat(255), count: fc.integer({ min: 1, max: 64 }) }).map(({ start, count }): Op => {
  const offsetBytes = start * 256;
  return { kind: 'read', offsetBytes, lengthBytes: Math.min(count * 256, DISK_BYTES - offsetBytes) };
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: writeArb },
  { weight: 3, arbitrary: readArb },
  { weight: 2, arbitrary: fc.constant<Op>({ kind: 'checkpoint' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'reopen' }) },
  { weight: 1, arbitrary: fc.nat(20).map((which): Op => ({ kind: 'restore', which })) },
  { weight: 1, arbitrary: fc.nat(20).map((which): Op => ({ kind: 'fork', which })) },
);

/** Every layer ever made (leaves and checkpoints), by id, as the registry would keep them. */
class LayerStorage {
  private readonly backings = new Map<string, MemoryLeafBacking>();
  private counter = 0;

  newId(): string {
    const id = `layer-${(this.counter += 1)}`;
    this.backings.set(id, new MemoryLeafBacking());
    return id;
  }

  store(id: string): MemoryLeafStore {
    const backing = this.backings.get(id);
    if (!backing) throw new Error(`no layer ${id}`);
    return new MemoryLeafStore(backing);
  }

  async openChain(ids: readonly string[]): Promise<FrozenLayer[]> {
    const layers: FrozenLayer[] = [];
    for (const id of ids) layers.push(await openCheckpointLayer(id, this.store(id), ROOT_IDENTITY, BLOCK_SIZE_BYTES, layers[layers.length - 1]?.id));
    return layers;
  }
}

interface Checkpoint {
  id: string;
  chain: string[];
  bytes: Uint8Array;
  owners: string[];
}

async function runChain(ops: readonly Op[]): Promise<void> {
  const root = new MemoryRootSource(rootBytes());
  const storage = new LayerStorage();
  const model = rootBytes();
  /** The id of the layer holding each sector's newest bytes ('root' until written). */
  const owners: string[] = Array.from({ length: DISK_BYTES / SECTOR }, () => 'root');
  let chainIds: string[] = [];
  let leafId = storage.newId();
  const checkpoints: Checkpoint[] = [];
  const open = async () =>
    UnionDevice.open({ root, rootIdentity: ROOT_IDENTITY, store: storage.store(leafId), leafId, chain: await storage.openChain(chainIds), blockSizeBytes: BLOCK_SIZE_BYTES });
  let device = await open();
  let inflight: Array<Promise<void>> = [];

  const check = async () => {
    await Promise.all(inflight);
    inflight = [];
    expectBytes(await device.read(0, DISK_BYTES), model, 'the whole disk');
    for (let sector = 0; sector < owners.length; sector += 1) {
      const expected = owners[sector];
      if (device.layerIdOfSector(sector) !== expected) {
        throw new Error(`sector ${sector}: layerIdOfSector says ${device.layerIdOfSector(sector)}, the model ${expected}`);
      }
    }
    const counts = device.sectorLayerCounts(0, owners.length);
    device.layers.forEach((layer, index) => {
      expect(counts.frozenSectors[index] ?? 0, `sectors served by ${layer.id}`).toBe(owners.filter((owner) => owner === layer.id).length);
    });
  };

  for (const op of ops) {
    if (op.kind === 'write') {
      const data = new Uint8Array(op.lengthBytes).fill(op.fill);
      model.set(data, op.offsetBytes);
      for (let s = Math.floor(op.offsetBytes / SECTOR); s < Math.ceil((op.offsetBytes + op.lengthBytes) / SECTOR); s += 1) owners[s] = leafId;
      const written = device.write(op.offsetBytes, data);
      if (op.awaitIt) await written;
      else inflight.push(written);
    } else if (op.kind === 'read') {
      expectBytes(await device.read(op.offsetBytes, op.lengthBytes), model.subarray(op.offsetBytes, op.offsetBytes + op.lengthBytes), `read at ${op.offsetBytes}`);
    } else if (op.kind === 'checkpoint') {
      // Issued with writes in flight: those land in the frozen layer, later ones in the new leaf.
      const frozenId = leafId;
      const nextId = storage.newId();
      const snapshot = { bytes: model.slice(), owners: owners.slice() };
      await device.checkpoint(storage.store(nextId), nextId, async (frozen) => {
        expect(frozen.id).toBe(frozenId);
      });
      chainIds = [...chainIds, frozenId];
      checkpoints.push({ id: frozenId, chain: chainIds.slice(), bytes: snapshot.bytes, owners: snapshot.owners });
      leafId = nextId;
      await check();
    } else if (op.kind === 'reopen') {
      await device.close();
      device = await open();
      await check();
    } else {
      const checkpoint = checkpoints[op.which % Math.max(1, checkpoints.length)];
      if (!checkpoint) continue;
      // Restore and fork both open a fresh leaf over the checkpoint's chain (a fork keeps the
      // old workspace, which this model no longer follows; the shared layers are not copied).
      await device.close();
      chainIds = checkpoint.chain.slice();
      leafId = storage.newId();
      model.set(checkpoint.bytes);
      checkpoint.owners.forEach((owner, sector) => (owners[sector] = owner));
      device = await open();
      await check();
    }
  }
  await check();
  await device.close();
}

describe('UnionDevice over a chain of frozen layers behaves like a plain byte array', () => {
  it('through writes, checkpoints in flight, reopening, restores and forks', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), (ops) => runChain(ops)), { numRuns: 150 });
  });

  it('pinned: a 256-byte write straddling a block written in the layer below', async () => {
    await runChain([
      { kind: 'write', offsetBytes: 4096, lengthBytes: 4096, fill: 9, awaitIt: true },
      { kind: 'checkpoint' },
      { kind: 'write', offsetBytes: 4096 + 256, lengthBytes: 256, fill: 3, awaitIt: false },
      { kind: 'reopen' },
      { kind: 'checkpoint' },
      { kind: 'restore', which: 0 },
    ]);
  });

  it('refuses a chain whose layers do not name each other as parents', async () => {
    const storage = new LayerStorage();
    const root = new MemoryRootSource(rootBytes());
    const [a, b] = [storage.newId(), storage.newId()];
    const deviceA = await UnionDevice.open({ root, rootIdentity: ROOT_IDENTITY, store: storage.store(a), leafId: a, blockSizeBytes: BLOCK_SIZE_BYTES });
    await deviceA.write(0, new Uint8Array(512).fill(1));
    await deviceA.close();
    const deviceB = await UnionDevice.open({ root, rootIdentity: ROOT_IDENTITY, store: storage.store(b), leafId: b, blockSizeBytes: BLOCK_SIZE_BYTES });
    await deviceB.write(512, new Uint8Array(512).fill(2));
    await deviceB.close();
    // b was made on the bare root, so stacking it on a is refused, not mixed.
    const layers = [await openCheckpointLayer(a, storage.store(a), ROOT_IDENTITY, BLOCK_SIZE_BYTES, undefined), await openCheckpointLayer(b, storage.store(b), ROOT_IDENTITY, BLOCK_SIZE_BYTES, undefined)];
    const leaf = storage.newId();
    await expect(UnionDevice.open({ root, rootIdentity: ROOT_IDENTITY, store: storage.store(leaf), leafId: leaf, chain: layers })).rejects.toThrow(LayerChainError);
    await expect(openCheckpointLayer(b, storage.store(b), ROOT_IDENTITY, BLOCK_SIZE_BYTES, a)).rejects.toThrow(/made on the bare image.*puts it on layer/);
  });

  it('refuses a layer made on another root', async () => {
    const storage = new LayerStorage();
    const root = new MemoryRootSource(rootBytes());
    const a = storage.newId();
    const device = await UnionDevice.open({ root, rootIdentity: ROOT_IDENTITY, store: storage.store(a), leafId: a, blockSizeBytes: BLOCK_SIZE_BYTES });
    await device.write(0, new Uint8Array(512).fill(1));
    await device.close();
    const layer = await openCheckpointLayer(a, storage.store(a), ROOT_IDENTITY, BLOCK_SIZE_BYTES, undefined);
    const otherRoot = { ...ROOT_IDENTITY, sha256: 'b'.repeat(64) };
    const leaf = storage.newId();
    await expect(UnionDevice.open({ root, rootIdentity: otherRoot, store: storage.store(leaf), chain: [layer] })).rejects.toThrow(/was made on image "chain-root" \(sha256 aaaaaaaaaaaa…\)/);
  });
});
