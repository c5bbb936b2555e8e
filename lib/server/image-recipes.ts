/**
 * The images this checkout can build (image/<id>/image.json, committed with their recipes), so
 * the catalog page can name the ones not built yet and the command that builds each. A recipe
 * whose image.json is unreadable is simply not listed: the catalog's own checks cover what is
 * served.
 *
 * Not marked `server-only` for the same reason as catalog.ts (server.ts runs outside Next).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_ID_PATTERN } from '../images/manifest';

export interface ImageRecipe {
  id: string;
  title: string;
  description: string;
}

export async function listImageRecipes(projectDirectory = process.cwd()): Promise<ImageRecipe[]> {
  const imageDirectory = path.join(/*turbopackIgnore: true*/ projectDirectory, 'image');
  const folders = await readdir(/*turbopackIgnore: true*/ imageDirectory, { withFileTypes: true }).catch(() => []);
  const recipes: ImageRecipe[] = [];
  for (const folder of folders.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()) {
    try {
      const raw = JSON.parse(await readFile(path.join(/*turbopackIgnore: true*/ imageDirectory, folder, 'image.json'), 'utf8')) as Record<string, unknown>;
      const { id, title, description } = raw;
      if (id === folder && typeof id === 'string' && IMAGE_ID_PATTERN.test(id) && typeof title === 'string' && typeof description === 'string') {
        recipes.push({ id, title, description });
      }
    } catch {
      // Not a recipe folder (lib/, tools/, …) or an unreadable one.
    }
  }
  return recipes;
}
