/**
 * A leaf only makes sense over the root it was made on: its sectors are changes to THOSE
 * bytes (design invariant 3). Opening it over any other root is refused, never mixed.
 */
import type { RootIdentity } from './leaf-store';

export class LeafBindingError extends Error {
  constructor(
    readonly leafRoot: RootIdentity,
    readonly servedRoot: RootIdentity,
    readonly storeName: string,
  ) {
    super(
      `Workspace ${storeName} was made on image ${describeRoot(leafRoot)}, but the image served now is ` +
        `${describeRoot(servedRoot)}. Its changes only make sense on the image they were made on, so ` +
        'Leaflab will not combine them with a different one. "Reset disk" starts this workspace fresh on the ' +
        'current image (its changes are discarded); or leave it untouched, work in another workspace, and open it again ' +
        'where the image version it was made on is served.',
    );
    this.name = 'LeafBindingError';
  }
}

export function sameRoot(a: RootIdentity, b: RootIdentity): boolean {
  return a.id === b.id && a.sizeBytes === b.sizeBytes && a.sha256 === b.sha256;
}

export function assertLeafBinding(leafRoot: RootIdentity, servedRoot: RootIdentity, storeName: string): void {
  if (!sameRoot(leafRoot, servedRoot)) throw new LeafBindingError(leafRoot, servedRoot, storeName);
}

function describeRoot(root: RootIdentity): string {
  const mebibytes = root.sizeBytes / (1024 * 1024);
  return `"${root.id}" (${root.sizeBytes} bytes ≈ ${mebibytes.toFixed(1)} MiB, sha256 ${root.sha256.slice(0, 12)}…)`;
}
