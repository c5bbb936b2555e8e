/**
 * npm run lab:check [-- [--labs DIR] [ID…]]: checks one lab, several, or all of them (see
 * lib/labs/check-labs.ts) and prints each problem as `<file>:<line>: <problem>`, then exits 1
 * if there was any (2 for a usage error). Notes (an image with a recipe that is not built yet)
 * are printed too and do not fail the check. LEAFLAB_CATALOG_DIR names the catalog (default
 * ./catalog), as for the server.
 */
import path from 'node:path';
import { checkLabs } from '../lib/labs/check-labs';
import { formatProblem } from '../lib/labs/lab-format';
import { catalogDirectory } from '../lib/server/catalog';

const args = process.argv.slice(2);
let labsArgument = 'labs';
const ids: string[] = [];
for (let index = 0; index < args.length; index++) {
  const arg = args[index] as string;
  if (arg === '--labs' && args[index + 1]) labsArgument = args[++index] as string;
  else if (arg.startsWith('-')) {
    console.error(`lab:check: unknown option ${arg}. Usage: npm run lab:check -- [--labs DIR] [ID…]`);
    process.exit(2);
  } else ids.push(arg);
}

const labsDirectory = path.resolve(labsArgument);
const report = await checkLabs({
  labsDirectory,
  shownLabsDirectory: path.relative(process.cwd(), labsDirectory) || '.',
  catalogDirectory: catalogDirectory(),
  projectDirectory: process.cwd(),
  ...(ids.length > 0 ? { ids } : {}),
});
for (const note of report.notes) console.log(formatProblem(note));
for (const problem of report.problems) console.log(formatProblem(problem));
const labs = `${report.checkedIds.length} lab${report.checkedIds.length === 1 ? '' : 's'}`;
if (report.problems.length > 0) {
  console.log(`lab:check: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${labs}`);
  process.exit(1);
}
console.log(`lab:check: ${labs} OK (${report.checkedIds.join(', ') || 'none'})`);
