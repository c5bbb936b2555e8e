import Link from 'next/link';
import { formatBytes } from '@/lib/format';
import { loadCatalog } from '@/lib/server/catalog';
import { CatalogWorkspaces } from './components/catalog-workspaces';
import { Notice } from './components/notice';

export const dynamic = 'force-dynamic';

export default async function CatalogPage() {
  const catalog = await loadCatalog();
  const images = [...catalog.entries.values()].map((entry) => entry.published);

  return (
    <>
      {images.length === 0 && (
        <Notice title="No images built yet">
          <p>
            The catalog folder <code>{catalog.directory}</code> holds no usable image. Build the default one with{' '}
            <code>npm run image</code> (or simply <code>npm start</code>, which builds what is missing).
          </p>
        </Notice>
      )}
      {images.length > 0 && (
        <section>
          <h1>Images</h1>
          <ul className="catalog" aria-label="Images">
            {images.map((image) => (
              <li key={image.id} className="catalog-card" data-image-id={image.id}>
                <h2>{image.title}</h2>
                <p>{image.description}</p>
                <p className="meta">
                  {formatBytes(image.sizeBytes)} disk · {image.boot.memoryMiB} MiB RAM ·{' '}
                  <span title={image.sha256}>sha256 {image.sha256.slice(0, 12)}…</span>
                </p>
                <CatalogWorkspaces imageId={image.id} />
                <Link className="button primary" href={`/lab/${image.id}`}>
                  Open lab
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      {catalog.problems.length > 0 && (
        <section className="problems">
          <h2>Images that cannot be served</h2>
          <ul>
            {catalog.problems.map((problem) => (
              <li key={problem.folder}>
                <code>{problem.folder}</code>: {problem.message}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
