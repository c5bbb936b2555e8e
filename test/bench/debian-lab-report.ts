/**
 * The debian-lab part of the bench's report (debian-lab-bench.ts): its boots side by side, the
 * steps after them, and issue #12's debian-lab targets met or missed. Every figure is the median
 * over the rounds with its range; ratios are taken between scenarios of the same round.
 */
import { median, medianWithRange } from './bench-stats';
import { ratiosByRound, targetLines, type Target } from './bench-targets';
import { DEBIAN_LAB_ID, LATENCY_LABEL, PRELOADED_LABEL, PYTHON_STEP, type DebianBoot, type DebianLabResults, type StepResult } from './debian-lab-results';

const MIB = 1024 * 1024;
const seconds = (values: readonly number[]) => medianWithRange(values.map((ms) => ms / 1000), 1);
const mib = (values: readonly number[]) => medianWithRange(values.map((bytes) => bytes / MIB), 2);
const whole = (values: readonly number[]) => medianWithRange(values, 0);
const distinct = (labels: readonly string[]) => [...new Set(labels)];

function bootTable(boots: readonly DebianBoot[]): string {
  const preloaded = boots.filter((b) => b.label === PRELOADED_LABEL);
  const rows = distinct(boots.map((b) => b.label)).map((label) => {
    const runs = boots.filter((b) => b.label === label);
    const ratios = ratiosByRound(runs, preloaded, (b) => b.bootToPromptMs);
    const stat = (figure: (s: DebianBoot['stats']) => number) => runs.map((b) => figure(b.stats));
    return `| ${label} | ${seconds(runs.map((b) => b.bootToPromptMs))} | ${ratios.length > 0 ? `${medianWithRange(ratios, 2)}×` : '–'} | ${seconds(runs.map((b) => b.pageToPromptMs))} | ${whole(stat((s) => s.readWaitMs))} | ${whole(stat((s) => s.asyncReads))} | ${mib(stat((s) => s.bytesFetched))} | ${whole(stat((s) => s.requests))} | ${mib(stat((s) => s.bytesRead))} |`;
  });
  return [
    `| ${DEBIAN_LAB_ID}, cold boot | boot → prompt (s) | vs (p), per round | page → prompt (s) | read wait (ms) | async reads | fetched (MiB) | requests | guest read (MiB) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function stepTable(steps: readonly StepResult[]): string {
  const keys = distinct(steps.map((s) => `${s.boot}\n${s.step}`));
  const rows = keys.map((key) => {
    const runs = steps.filter((s) => `${s.boot}\n${s.step}` === key);
    const [boot, step] = key.split('\n') as [string, string];
    const figure = (of: (s: StepResult) => number) => runs.map(of);
    const read = median(figure((s) => s.readBytes)) > 0 ? mib(figure((s) => s.readBytes)) : '–';
    return `| ${step} | ${boot} | ${seconds(figure((s) => s.ms))} | ${whole(figure((s) => s.readWaitMs))} | ${mib(figure((s) => s.fetchedBytes))} | ${read} | ${whole(figure((s) => s.requests))} |`;
  });
  return [`| ${DEBIAN_LAB_ID}, after the boot | on | seconds | read wait (ms) | fetched (MiB) | guest read (MiB) | requests |`, '|---|---|---:|---:|---:|---:|---:|', ...rows].join(
    '\n',
  );
}

function debianTargets({ boots, steps }: DebianLabResults): Target[] {
  const latency = boots.filter((b) => b.label === LATENCY_LABEL);
  const preloaded = boots.filter((b) => b.label === PRELOADED_LABEL);
  const latencyPython = steps.filter((s) => s.boot === LATENCY_LABEL && s.step === PYTHON_STEP);
  return [
    {
      what: `${DEBIAN_LAB_ID} (e) cold boot → prompt vs (p) preloaded, download not counted`,
      values: ratiosByRound(latency, preloaded, (b) => b.bootToPromptMs),
      limit: 1.25,
      kind: 'at most',
      digits: 2,
      unit: '×',
    },
    { what: `${DEBIAN_LAB_ID} (e) ${PYTHON_STEP}: read wait`, values: latencyPython.map((s) => s.readWaitMs), limit: 1000, kind: 'at most', digits: 0, unit: ' ms' },
  ];
}

/** The warm set's size, and how much of it the (e) boots had fetched and used by the prompt. */
function warmSetLine({ warmSet, boots }: DebianLabResults): string {
  if (!warmSet) return `${DEBIAN_LAB_ID} warm set: none recorded on this build (its image.json declares no warmCommands, or the build predates them)`;
  const latency = boots.filter((b) => b.label === LATENCY_LABEL);
  const atPrompt =
    latency.length > 0
      ? `; (e) at the prompt: ${whole(latency.map((b) => b.stats.warmSetChunksFetched))} chunks fetched, ${whole(latency.map((b) => b.stats.warmSetChunksUsed))} used`
      : '';
  return `${DEBIAN_LAB_ID} warm set: ${warmSet.chunks} chunks (${(warmSet.bytes / MIB).toFixed(1)} MiB), fetched after the boot set, for ${warmSet.commands.map((command) => `\`${command}\``).join(', ')}${atPrompt}`;
}

/** The report's debian-lab section, `rounds` rounds. */
export function debianLabReport(results: DebianLabResults, rounds: number): string[] {
  return [
    bootTable(results.boots),
    '',
    stepTable(results.steps),
    '',
    warmSetLine(results),
    '',
    `Issue #12's ${DEBIAN_LAB_ID} targets, median of ${rounds} round(s) [range]:`,
    ...targetLines(debianTargets(results)),
  ];
}
