/** The layers part's table: one row per figure, median [range] over the rounds, target beside it. */
import { medianWithRange } from './bench-stats';
import type { LayerFigure } from './layers-node-bench';

export function layersTable(figures: readonly LayerFigure[], rounds: number): string {
  const rows = figures.map((f) => `| ${f.label} | ${medianWithRange(f.values, f.digits)} ${f.unit} | ${f.target} |`);
  return [`| layers (issue #10) | median [range] over ${rounds} round(s) | target |`, '|---|---:|---|', ...rows].join('\n');
}
