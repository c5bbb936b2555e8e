/**
 * The layer store on one machine: objects are files under a directory (LEAFLAB_LAYER_DIR,
 * default ./layers). A write goes to a temporary file that is renamed over the key, so a crash
 * leaves either no object or the whole one.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertListPrefix, assertObjectKey, type ObjectStore } from './object-store';

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export class DirectoryObjectStore implements ObjectStore {
  readonly description: string;

  constructor(private readonly directory: string) {
    this.description = `directory ${directory}`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertObjectKey(key);
    try {
      return new Uint8Array(await readFile(path.join(this.directory, key)));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async has(key: string): Promise<boolean> {
    assertObjectKey(key);
    try {
      return (await stat(path.join(this.directory, key))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    assertObjectKey(key);
    const target = path.join(this.directory, key);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomUUID()}.partial`;
    try {
      await writeFile(temporary, bytes);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertListPrefix(prefix);
    try {
      const names = await readdir(path.join(this.directory, prefix));
      return names.filter((name) => !name.endsWith('.partial')).map((name) => prefix + name);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }
}
