import Link from 'next/link';
import { formatBytes } from '@/lib/format';
import { nonZeroBytes } from '@/lib/images/manifest';
import { verifiedCatalog } from '@/lib/server/catalog-service';
import { listImageRecipes } from '@/lib/server/image-recipes';
import { listServedLabs } from '@/lib/server/labs';
import { CatalogLabs } from './components/catalog-labs';
import { CatalogWorkspaces } from './components/catalog-workspaces';
import { Notice } from './components/notice';

export const dynamic = 'force-dynamic';

export default async function CatalogPage() {
  const [catalog, recipes, labs] = await Promise.all([verifiedCatalog(), listImageRecipes(), listServedLabs()]);
  const images = [...catalog.entries.values()].map((entry) => entry.published);
  const unbuilt = recipes.filter((recipe) => !catalog.entries.has(recipe.id) && !catalog.problems.some((p) => p.folder === recipe.id));

  return (
    <>
      <CatalogLabs labs={labs} builtImageTitles={new Map(images.map((image) => [image.id, image.title]))} recipes={recipes} />
      {images.length === 0 && (
        <Notice title="No images built yet">
          <p>
            The catalog folder <code>{catalog.shownDirectory}</code> holds no usable image. Build the default one with{' '}
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
                {image.contents && (
                  <>
                    <h3 className="contents-heading">Inside</h3>
                    <ul className="contents">
                      {image.contents.map((line) => (
                        <li key={line}>{line}</li>
                      ))}
                    </ul>
                  </>
                )}
                <p className="meta">
                  {formatBytes(image.sizeBytes)} disk ({formatBytes(nonZeroBytes(image))} of it not all-zero: the most a
                  machine can download) · {image.boot.memoryMiB} MiB RAM ·{' '}
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
      {unbuilt.length > 0 && (
        <section aria-labelledby="unbuilt-heading">
          <h2 id="unbuilt-heading">Not built yet</h2>
          <ul className="catalog" aria-label="Images not built yet">
            {unbuilt.map((recipe) => (
              <li key={recipe.id} className="catalog-card unbuilt" data-recipe-id={recipe.id}>
                <h3>{recipe.title}</h3>
                <p>{recipe.description}</p>
                <p>
                  Build it with <code>npm run image -- {recipe.id}</code>, then reload this page. It downloads Debian
                  packages and prepares them inside the emulator, so it can take several minutes.
                </p>
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
