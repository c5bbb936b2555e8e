import type { ImageRecipe } from '@/lib/server/image-recipes';
import type { LabSummary } from '@/lib/server/labs';
import { CatalogLabProgress } from './catalog-lab-progress';

interface CatalogLabsProps {
  /** What GET /api/labs answers (`listServedLabs`). */
  labs: LabSummary[];
  /** The verified catalog's images, by id: a lab on one of these can open. */
  builtImageTitles: ReadonlyMap<string, string>;
  recipes: ImageRecipe[];
}

/** The catalog page's labs: one card each, with the image it runs on and the student's progress. */
export function CatalogLabs({ labs, builtImageTitles, recipes }: CatalogLabsProps) {
  if (labs.length === 0) return null;
  return (
    <section aria-labelledby="labs-heading">
      <h1 id="labs-heading">Labs</h1>
      <ul className="catalog" aria-label="Labs">
        {labs.map((lab) => {
          const imageBuilt = builtImageTitles.has(lab.image);
          const imageTitle = builtImageTitles.get(lab.image) ?? recipes.find((recipe) => recipe.id === lab.image)?.title ?? lab.image;
          return (
            <li key={lab.id} className={`catalog-card lab-card${imageBuilt ? '' : ' unbuilt'}`} data-lab-id={lab.id}>
              <h2>{lab.title}</h2>
              <p>{lab.description}</p>
              <p className="meta">
                {lab.steps.length} step{lab.steps.length === 1 ? '' : 's'} · runs on <span title={lab.image}>{imageTitle}</span>
              </p>
              {!imageBuilt && (
                <p>
                  Its image is not built yet. Build it with <code>npm run image -- {lab.image}</code>, then reload this page.
                </p>
              )}
              <CatalogLabProgress labId={lab.id} imageId={lab.image} stepCount={lab.steps.length} labHref={imageBuilt ? `/labs/${lab.id}` : undefined} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}
