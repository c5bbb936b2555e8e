'use client';

import { useCallback, useEffect, useState } from 'react';
import { formatBytes } from '@/lib/format';
import type { RootChunkStoreUsage } from '@/lib/disk/root-chunk-cache';
import { browserRootChunkStore, parseBudgetMiB } from '@/lib/lab/root-cache';

const MIB = 1024 * 1024;

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * The persistent root cache in the Storage panel: its size against its budget, a field to change
 * the budget and a button to clear it. It holds the root images' chunks and the shared
 * environments' (published layers') body chunks, under one budget; only those are ever removed
 * here, never a workspace.
 */
export function RootCacheSettings() {
  const [usage, setUsage] = useState<RootChunkStoreUsage>();
  const [budgetText, setBudgetText] = useState('');
  const [message, setMessage] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      const current = await browserRootChunkStore().usage();
      setUsage(current);
      return current;
    } catch (error) {
      setMessage(`The root cache cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }, []);

  useEffect(() => {
    // Not in the effect's own turn (the first estimate arrives like the later ones).
    void Promise.resolve().then(async () => {
      const current = await refresh();
      if (current) setBudgetText(String(Math.round(current.budgetBytes / MIB)));
    });
    const timer = setInterval(() => void refresh(), 5000);
    return () => clearInterval(timer);
  }, [refresh]);

  async function applyBudget(event: React.FormEvent) {
    event.preventDefault();
    const parsed = parseBudgetMiB(budgetText);
    if ('problem' in parsed) {
      setMessage(parsed.problem);
      return;
    }
    await browserRootChunkStore().setBudget(parsed.budgetBytes);
    await refresh();
    setMessage(`Budget set to ${formatBytes(parsed.budgetBytes)}.`);
  }

  async function clear() {
    await browserRootChunkStore().clear();
    await refresh();
    setMessage('Root cache cleared. Your workspaces were not touched; the next boot fetches the root image and any shared environment again.');
  }

  return (
    <div className="root-cache" data-testid="root-cache">
      <h3>Root image and shared environment cache</h3>
      <p className="meta">
        Chunks of the images&apos; root disks and of the shared environments (published layers) opened here, kept in this
        browser so machines boot without downloading them again, and offline. The total and the budget cover both; the least
        recently used chunks of either are dropped past the budget.
      </p>
      <p
        data-testid="root-cache-usage"
        data-stored-bytes={usage?.storedBytes}
        data-budget-bytes={usage?.budgetBytes}
        data-image-count={usage?.imageCount}
        data-layer-count={usage?.layerCount}
      >
        {usage
          ? `${formatBytes(usage.storedBytes)} of ${formatBytes(usage.budgetBytes)} (${usage.chunkCount} chunks of ${plural(usage.imageCount, 'image')} and ${plural(usage.layerCount, 'shared-environment layer')})`
          : 'Checking…'}
      </p>
      <form onSubmit={(event) => void applyBudget(event)}>
        <label>
          Budget (MiB){' '}
          <input type="number" min={0} step={1} value={budgetText} onChange={(event) => setBudgetText(event.target.value)} data-testid="root-cache-budget" />
        </label>{' '}
        <button type="submit">Set budget</button>{' '}
        <button type="button" onClick={() => void clear()} disabled={!usage || usage.chunkCount === 0}>
          Clear root cache
        </button>
      </form>
      {message && <p role="status">{message}</p>}
    </div>
  );
}
