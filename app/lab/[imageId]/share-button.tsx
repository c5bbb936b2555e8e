'use client';

import { useState } from 'react';
import type { BootSettings, PublishedImage } from '@/lib/images/manifest';
import { shareLinkPath } from '@/lib/lab/share-link';

/**
 * "Share": copies a link that opens this image with this workspace's machine settings in a
 * fresh workspace of whoever opens it. The link is also shown, selectable, for browsers that
 * refuse clipboard access.
 */
export function ShareButton({ image, settings }: { image: PublishedImage; settings: BootSettings }) {
  const [link, setLink] = useState<string>();
  const [outcome, setOutcome] = useState<string>();

  async function share() {
    const url = new URL(shareLinkPath(image, settings), location.href).href;
    setLink(url);
    try {
      await navigator.clipboard.writeText(url);
      setOutcome('Link copied. It opens this image and machine in a fresh workspace; your changes are not shared.');
    } catch {
      setOutcome('Copy the link below (the browser did not allow copying). Your changes are not shared.');
    }
  }

  return (
    <div className="share">
      <button type="button" onClick={() => void share()}>
        Share
      </button>
      {link && (
        <div className="share-result" role="status">
          <span>{outcome}</span>
          <input aria-label="Share link" data-testid="share-link" readOnly value={link} onFocus={(event) => event.target.select()} />
        </div>
      )}
    </div>
  );
}
