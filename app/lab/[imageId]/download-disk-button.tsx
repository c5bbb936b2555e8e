'use client';

import { useState } from 'react';
import { ErrorMessage } from '@/app/components/error-message';
import type { DiskExportFormat } from '@/lib/lab/disk-export';
import type { LabSession } from '@/lib/lab/lab-session';

/**
 * Downloads the workspace's disk (every layer over the root) as a raw image file or as a qcow2
 * overlay of the root. The machine pauses while the disk is copied and resumes afterwards.
 */
export function DownloadDiskButton({
  session,
  fileName,
  disabled,
  format = 'raw',
}: {
  session: LabSession | undefined;
  fileName: string;
  disabled: boolean;
  format?: DiskExportFormat;
}) {
  const [progress, setProgress] = useState<number>();
  const [error, setError] = useState<string>();

  async function download() {
    if (!session) return;
    setError(undefined);
    setProgress(0);
    try {
      const blob = await session.exportDisk((copiedBytes, totalBytes) => setProgress(copiedBytes / totalBytes), format);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (downloadError) {
      setError(`The disk could not be downloaded: ${(downloadError as Error).message}`);
    } finally {
      setProgress(undefined);
    }
  }

  return (
    <>
      <button type="button" onClick={() => void download()} disabled={disabled || progress !== undefined}>
        {progress === undefined ? (format === 'raw' ? 'Download disk' : 'Download qcow2') : `Copying the disk… ${Math.round(progress * 100)} %`}
      </button>
      <ErrorMessage message={error} />
    </>
  );
}
