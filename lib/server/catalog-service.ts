/**
 * The one verified catalog of a running server. Every disk is hashed once, at start-up, before
 * server.ts listens; the image server, the pages and /api/images all read the last verified
 * state and never hash anything themselves.
 *
 * Changes are found cheaply: at most once a second, when the catalog is used, a check lists the
 * folders and compares each file's identity (stat by path: dev, inode, size, mtime, ctime) and
 * the open disk's (fstat through the handle) with what was verified. A changed, new or reported
 * folder is verified again in the background; until that is done the old state stays in use
 * (its disk is still read through the verified handle, chunk by chunk, so a change cannot leak
 * through). Verifications are de-duplicated per folder, and a check never starts while one runs.
 *
 * Next bundles route and page modules apart from server.ts, so module state would exist twice:
 * the service lives on globalThis under a Symbol.for key, created by whichever module asks first.
 */
import { emptyCatalog, listImageFolders, catalogDirectory, imageBaseUrl, type Catalog } from './catalog';
import { folderFingerprint, sameFingerprint, shownFolder, verifyFolder, type FolderFingerprint, type FolderState } from './catalog-folder';
import { sameFileIdentity } from './verified-disk';

/** How often, at most, the catalog folder is checked for changes. */
const CHECK_INTERVAL_MS = 1000;

export class CatalogService {
  private catalog: Catalog;
  private readonly fingerprints = new Map<string, FolderFingerprint>();
  private readonly started: Promise<void>;
  private checking = false;
  private lastCheckStartMs = 0;
  private readonly verifications = new Map<string, Promise<void>>();
  private readonly verifyAgain = new Set<string>();
  private closed = false;

  constructor(
    readonly directory: string,
    private readonly baseUrl: string | undefined,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {
    this.catalog = emptyCatalog(directory);
    this.started = this.verifyAll();
  }

  /** The verified catalog, once the start-up verification is done. */
  async ready(): Promise<Catalog> {
    await this.started;
    return this.current();
  }

  /** The last verified state (empty until start-up is done); starts a check for changes when one is due. */
  current(): Catalog {
    this.checkSoon();
    return this.catalog;
  }

  /** A reply found a disk that no longer reads as verified: verify its folder again now. */
  reportChanged(folder: string, reason: string): void {
    if (this.closed) return;
    this.log(`catalog: ${shownFolder(this.directory, folder)} changed under the server (${reason}); verifying it again`);
    this.verifyInBackground(folder);
  }

  /** Resolves when no verification is running (tests). */
  async settled(): Promise<void> {
    while (this.verifications.size > 0) await Promise.all(this.verifications.values());
  }

  /** Stops checking and releases every open disk (tests; a server just exits). */
  async close(): Promise<void> {
    this.closed = true;
    await this.started;
    await this.settled();
    await Promise.all([...this.catalog.entries.values()].map((entry) => entry.disk.retire()));
  }

  private async verifyAll(): Promise<void> {
    const startedAtMs = performance.now();
    for (const folder of (await listImageFolders(this.directory)) ?? []) {
      this.apply(folder, await verifyFolder(this.directory, folder, this.baseUrl));
    }
    const { entries, problems } = this.catalog;
    const mebibytes = [...entries.values()].reduce((sum, entry) => sum + entry.manifest.sizeBytes, 0) / (1024 * 1024);
    this.log(
      `catalog: verified ${entries.size} image${entries.size === 1 ? '' : 's'} (${mebibytes.toFixed(0)} MiB) in ${((performance.now() - startedAtMs) / 1000).toFixed(1)} s` +
        (problems.length > 0 ? `; ${problems.length} cannot be served` : ''),
    );
    for (const problem of problems) this.log(`catalog: ${shownFolder(this.directory, problem.folder)} cannot be served: ${problem.message}`);
  }

  /** Puts a folder's new state in place of its old one; the old disk closes when its replies are done. */
  private apply(folder: string, state: FolderState | undefined): void {
    const previous = this.catalog.entries.get(folder);
    const entries = new Map([...this.catalog.entries].filter(([id]) => id !== folder));
    const problems = this.catalog.problems.filter((problem) => problem.folder !== folder);
    if (state?.kind === 'entry') entries.set(folder, state.entry);
    if (state?.kind === 'problem') problems.push(state.problem);
    if (state) this.fingerprints.set(folder, state.fingerprint);
    else this.fingerprints.delete(folder);
    this.catalog = {
      ...this.catalog,
      entries: new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      problems: problems.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0)),
    };
    if (previous && previous !== entries.get(folder)) void previous.disk.retire();
  }

  private checkSoon(): void {
    const nowMs = Date.now();
    if (this.closed || this.checking || nowMs - this.lastCheckStartMs < CHECK_INTERVAL_MS) return;
    this.checking = true;
    this.lastCheckStartMs = nowMs;
    this.checkForChanges()
      .catch((error: Error) => this.log(`catalog: checking ${this.catalog.shownDirectory} for changes failed: ${error.message}`))
      .finally(() => (this.checking = false));
  }

  private async checkForChanges(): Promise<void> {
    await this.started;
    const folders = (await listImageFolders(this.directory)) ?? [];
    for (const known of this.fingerprints.keys()) {
      if (!folders.includes(known) && !this.verifications.has(known)) this.apply(known, undefined);
    }
    for (const folder of folders) {
      if (this.verifications.has(folder)) continue;
      const known = this.fingerprints.get(folder);
      let changed = !known || !sameFingerprint(known, await folderFingerprint(this.directory, folder));
      const entry = this.catalog.entries.get(folder);
      if (!changed && entry) changed = !sameFileIdentity(entry.disk.identity, await entry.disk.currentIdentity().catch(() => undefined));
      if (changed) this.verifyInBackground(folder);
    }
  }

  private verifyInBackground(folder: string): void {
    if (this.verifications.has(folder)) {
      this.verifyAgain.add(folder);
      return;
    }
    const run = async () => {
      do {
        this.verifyAgain.delete(folder);
        const startedAtMs = performance.now();
        // Reports until the disk is opened are covered by this pass; later ones get one more.
        const state = await verifyFolder(this.directory, folder, this.baseUrl, () => this.verifyAgain.delete(folder));
        if (this.closed) {
          if (state.kind === 'entry') await state.entry.disk.retire();
          return;
        }
        this.apply(folder, state);
        const seconds = ((performance.now() - startedAtMs) / 1000).toFixed(1);
        this.log(
          state.kind === 'entry'
            ? `catalog: ${shownFolder(this.directory, folder)} verified again in ${seconds} s (sha256 ${state.entry.manifest.sha256})`
            : `catalog: ${shownFolder(this.directory, folder)} cannot be served: ${state.problem.message}`,
        );
      } while (this.verifyAgain.has(folder));
    };
    this.verifications.set(
      folder,
      run()
        .catch((error: Error) => this.log(`catalog: verifying ${shownFolder(this.directory, folder)} failed: ${error.message}`))
        .finally(() => this.verifications.delete(folder)),
    );
  }
}

const SERVICE_KEY = Symbol.for('leaflab.catalogService');

/** The process's one catalog service (server.ts creates it first and waits for it before it listens). */
export function catalogService(): CatalogService {
  const holder = globalThis as unknown as Record<symbol, CatalogService | undefined>;
  return (holder[SERVICE_KEY] ??= new CatalogService(catalogDirectory(), imageBaseUrl()));
}

/** For pages and API routes: the last verified catalog. */
export function verifiedCatalog(): Promise<Catalog> {
  return catalogService().ready();
}
