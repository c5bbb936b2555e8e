import { formatBytes } from '@/lib/format';
import type { LabSnapshot } from '@/lib/lab/lab-session';

const STATUS_LABELS: Record<LabSnapshot['status'], string> = {
  loading: 'Loading',
  booting: 'Booting',
  running: 'Running',
  stopped: 'Stopped',
  error: 'Error',
};

/** Status badge, progress indicator while loading and booting, restored changes, and errors in words. */
export function StatusBar({ snapshot }: { snapshot: LabSnapshot }) {
  const busy = snapshot.status === 'loading' || snapshot.status === 'booting';
  return (
    <div className="status-bar" data-status={snapshot.status}>
      <span className={`badge badge-${snapshot.status}`} data-testid="lab-status">
        {STATUS_LABELS[snapshot.status]}
      </span>
      <span className="phase" aria-live="polite">
        {snapshot.phase}
        {snapshot.status === 'running' && snapshot.bootToPromptMs !== undefined && (
          <> · shell prompt after {(snapshot.bootToPromptMs / 1000).toFixed(1)} s</>
        )}
      </span>
      {busy && (
        <progress
          aria-label={snapshot.phase}
          {...(snapshot.progress !== undefined ? { value: snapshot.progress, max: 1 } : {})}
        />
      )}
      {snapshot.restoredSectors > 0 && (
        <p className="restored" data-testid="restored-changes">
          Restored your earlier changes from this browser: {snapshot.restoredSectors} sectors (
          {formatBytes(snapshot.restoredSectors * 512)}) of this workspace&apos;s disk.
        </p>
      )}
      {snapshot.error && (
        <p className="error" role="alert">
          {snapshot.error}
        </p>
      )}
    </div>
  );
}
