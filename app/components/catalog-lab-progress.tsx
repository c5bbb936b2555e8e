'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { withWorkspaceRegistry } from '@/lib/workspaces';
import { labWorkspaceName } from '@/lib/labs/lab-format';
import { summarizeLabProgress, type LabProgressSummary } from './lab-progress-summary';

interface CatalogLabProgressProps {
  labId: string;
  imageId: string;
  stepCount: number;
  /** The lab's page; undefined while its image is not built (no link to a page that cannot open). */
  labHref?: string;
}

/** On a lab's catalog card: the student's progress in this browser, and the link that starts or continues the lab. */
export function CatalogLabProgress({ labId, imageId, stepCount, labHref }: CatalogLabProgressProps) {
  const [summary, setSummary] = useState<LabProgressSummary>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    withWorkspaceRegistry((registry) => registry.get(imageId, labWorkspaceName(labId)))
      .then((record) => !cancelled && setSummary(summarizeLabProgress(record?.lessonProgress, labId, stepCount)))
      .catch((loadError: unknown) => !cancelled && setError(loadError instanceof Error ? loadError.message : String(loadError)));
    return () => {
      cancelled = true;
    };
  }, [labId, imageId, stepCount]);

  return (
    <div className="lab-card-footer">
      {error ? (
        <p className="meta">Progress: unknown ({error})</p>
      ) : (
        <p className="meta" data-testid="lab-progress" data-started={summary?.started}>
          {summary ? summary.text : 'Progress: reading…'}
        </p>
      )}
      {labHref && (
        <Link className="button primary" href={labHref}>
          {summary?.started ? 'Continue lab' : 'Start lab'}
        </Link>
      )}
    </div>
  );
}
