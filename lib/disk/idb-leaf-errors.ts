/** IndexedDB failures of a leaf, as what the user can do about them (LeafStoreError kinds). */
import { DB_VERSION } from './idb-leaf-schema';
import { LeafStoreError, newerFormatError } from './leaf-store';

export function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
}

export function isDomError(error: unknown, name: string): boolean {
  return errorName(error) === name;
}

/**
 * Maps an IndexedDB failure to what the user can do about it. An AbortError whose message
 * names the quota is a quota error (some browsers abort a transaction that way when storage
 * is full): it must never be taken for a transient abort and retried.
 */
export function toLeafStoreError(error: unknown, action: string, storeName: string): LeafStoreError {
  if (error instanceof LeafStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  const name = errorName(error) === 'AbortError' && /quota/i.test(detail) ? 'QuotaExceededError' : errorName(error);
  switch (name) {
    case 'QuotaExceededError':
      return new LeafStoreError(
        'quota',
        `The browser's storage quota is exhausted, so ${action} workspace ${storeName} failed and the latest ` +
          'changes were not saved. Everything saved before is kept; "Download disk" copies the disk with the unsaved ' +
          'changes too. Free space (delete workspaces you no longer need in the Workspaces panel, or clear other ' +
          'sites\' data), then reload the page.',
        options,
      );
    case 'AbortError':
      return new LeafStoreError(
        'aborted',
        `The browser aborted ${action} workspace ${storeName} before it committed; nothing from it was saved (${detail}).`,
        options,
      );
    case 'VersionError':
      return newerFormatError(storeName, 'a newer database version', `database version ${DB_VERSION}`, error);
    case 'InvalidStateError':
      return new LeafStoreError(
        'unavailable',
        `The connection to workspace ${storeName} closed while ${action} it (another tab reset it, or site data was cleared). Reload to continue.`,
        options,
      );
    default:
      return new LeafStoreError('unavailable', `IndexedDB failed while ${action} workspace ${storeName}: ${detail}`, options);
  }
}
