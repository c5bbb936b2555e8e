import { describe, expect, it } from 'vitest';
import { emptyDiskStats } from '@/lib/lab/disk-backends';
import { debianLabReport } from '@/test/bench/debian-lab-report';
import { LATENCY_LABEL, LOOPBACK_LABEL, PRELOADED_LABEL, PYTHON_STEP, type DebianBoot, type StepResult } from '@/test/bench/debian-lab-results';

const boot = (label: string, round: number, bootToPromptMs: number): DebianBoot => ({ label, round, bootToPromptMs, pageToPromptMs: bootToPromptMs + 1000, stats: emptyDiskStats('union') });
const python = (bootLabel: string, round: number, readWaitMs: number): StepResult => ({
  boot: bootLabel,
  step: PYTHON_STEP,
  round,
  ms: 2000,
  fetchedBytes: 0,
  readBytes: 0,
  requests: 0,
  readWaitMs,
});

describe('debian-lab report', () => {
  it('judges (e) against (p) of the same round, and (e) python3 read wait, with the range', () => {
    const report = debianLabReport(
      {
        // Round 0: (e) takes 1.5× (p); round 1: 1.1×; round 2 has no (p), so no ratio.
        boots: [
          boot(PRELOADED_LABEL, 0, 20_000),
          boot(PRELOADED_LABEL, 1, 40_000),
          boot(LOOPBACK_LABEL, 0, 21_000),
          boot(LATENCY_LABEL, 0, 30_000),
          boot(LATENCY_LABEL, 1, 44_000),
          boot(LATENCY_LABEL, 2, 10_000),
        ],
        steps: [python(PRELOADED_LABEL, 0, 1), python(LATENCY_LABEL, 0, 900), python(LATENCY_LABEL, 1, 700), python(LATENCY_LABEL, 2, 1500)],
      },
      3,
    );
    const targets = report.slice(report.findIndex((line) => line.startsWith("Issue #12's debian-lab targets")) + 1);
    expect(targets).toEqual([
      '- debian-lab (e) cold boot → prompt vs (p) preloaded, download not counted: 1.30 [1.10–1.50]× (target ≤ 1.25×): MISSED',
      '- debian-lab (e) first `python3 -c pass`: read wait: 900 [700–1500] ms (target ≤ 1000 ms): met',
    ]);
    expect(report).toContain('debian-lab warm set: none recorded on this build (its image.json declares no warmCommands, or the build predates them)');
    const latencyRow = report[0]!.split('\n').find((row) => row.startsWith(`| ${LATENCY_LABEL} |`));
    expect(latencyRow).toContain('| 30.0 [10.0–44.0] | 1.30 [1.10–1.50]× |');
    const pythonRow = report[2]!.split('\n').find((row) => row.includes(`| ${LATENCY_LABEL} |`));
    expect(pythonRow).toContain('| 900 [700–1500] |');
  });

  it("gives the warm set's size and what the (e) boots had of it at the prompt", () => {
    const latencyBoot = (round: number, fetched: number, used: number): DebianBoot => ({
      ...boot(LATENCY_LABEL, round, 30_000),
      stats: { ...emptyDiskStats('union'), warmSetChunksFetched: fetched, warmSetChunksUsed: used },
    });
    const report = debianLabReport(
      {
        boots: [latencyBoot(0, 80, 2), latencyBoot(1, 80, 4), latencyBoot(2, 40, 0)],
        steps: [python(LATENCY_LABEL, 0, 300)],
        warmSet: { commands: ['python3 -c pass', 'git --version'], chunks: 80, bytes: 80 * 65536 },
      },
      3,
    );
    expect(report).toContain(
      'debian-lab warm set: 80 chunks (5.0 MiB), fetched after the boot set, for `python3 -c pass`, `git --version`; (e) at the prompt: 80 [40–80] chunks fetched, 2 [0–4] used',
    );
  });
});
