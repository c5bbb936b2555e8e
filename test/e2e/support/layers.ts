/** Helpers for the layer tests: driving checkpoints and layers through `window.leaflab`. */
import type { Page } from '@playwright/test';

export function checkpoint(page: Page, name: string): Promise<string> {
  return page.evaluate((checkpointName) => window.leaflab!.checkpoint(checkpointName), name);
}

/** How many sectors of the disk each layer id serves now (root and zero included). */
export function sectorsByLayer(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const counts: Record<string, number> = {};
    const sectorCount = window.leaflab!.blockMap()?.sectorCount ?? 0;
    for (let sector = 0; sector < sectorCount; sector += 1) {
      const id = window.leaflab!.layerOf(sector) ?? 'none';
      counts[id] = (counts[id] ?? 0) + 1;
    }
    return counts;
  });
}

/**
 * Restores checkpoint `id` and waits for the machine to boot on it again (the hook goes away
 * while the old machine stops, so nothing sees it as running meanwhile).
 */
export async function restore(page: Page, id: string): Promise<void> {
  await page.evaluate((checkpointId) => window.leaflab!.restore(checkpointId), id);
}
