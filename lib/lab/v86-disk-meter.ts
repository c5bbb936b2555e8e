/**
 * Read wait for v86's own disks (the memory and async Range backends), measured at the same
 * interface as the union adapter's (lib/disk/read-wait-meter.ts), so the bench can compare
 * backends side by side. v86 builds those disk objects itself from the `hda` option, so they
 * are reached once the machine exists, through the primary IDE master drive, and their `get`
 * and `set` are replaced on that one object by metered versions that call the originals.
 */
import { ReadWaitMeter, type ReadCallback, type V86GetFunction } from '../disk/read-wait-meter';

type V86SetFunction = (startBytes: number, data: Uint8Array, fn: () => void) => void;

interface V86DiskObject {
  get: V86GetFunction;
  set: V86SetFunction;
}

/** The few v86 internals on the way to the disk (property names v86's build keeps). */
interface V86Internals {
  v86?: { cpu?: { devices?: { ide?: { primary?: { master?: { buffer?: unknown } } } } } };
}

function isDiskObject(value: unknown): value is V86DiskObject {
  const candidate = value as Partial<V86DiskObject> | null | undefined;
  return typeof candidate?.get === 'function' && typeof candidate.set === 'function';
}

/**
 * Meters the guest's reads and writes on `emulator`'s first hard disk from now on. Call it once
 * the emulator is loaded and before the first instruction runs ('emulator-loaded'). Throws if
 * this v86 build does not have the disk where expected, saying what to check.
 */
export function meterV86Disk(emulator: unknown, meter: ReadWaitMeter): void {
  const disk = (emulator as V86Internals).v86?.cpu?.devices?.ide?.primary?.master?.buffer;
  if (!isDiskObject(disk)) {
    throw new Error(
      'Cannot measure read wait on this disk: v86 has no disk object at emulator.v86.cpu.devices.ide.primary.master.buffer. ' +
        'A v86 upgrade may have moved it; see lib/lab/v86-disk-meter.ts.',
    );
  }
  const get = disk.get.bind(disk);
  const set = disk.set.bind(disk);
  disk.get = (startBytes, lengthBytes, fn: ReadCallback, options) => meter.get(get, startBytes, lengthBytes, fn, options);
  disk.set = (startBytes, data, fn) => meter.sync((done) => set(startBytes, data, done), fn);
}
