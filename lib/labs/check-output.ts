/**
 * What a check's output says to the student. The whole output (stdout then stderr) is the
 * feedback; a check may also mark lines: `FAIL: <why>` lines are the headline of a red check,
 * `HINT: <text>` lines are extra hints for that failure. Plain TypeScript (no Node imports).
 */
export interface CheckFeedback {
  /** The text of the FAIL: lines, in order (empty when the check marked none). */
  failures: string[];
  /** The text of the HINT: lines, in order. */
  hints: string[];
  /** The output as the check printed it. */
  output: string;
}

export function parseCheckOutput(output: string): CheckFeedback {
  const failures: string[] = [];
  const hints: string[] = [];
  for (const line of output.split('\n')) {
    const marked = /^(FAIL|HINT):\s?(.*)$/.exec(line);
    if (!marked) continue;
    (marked[1] === 'FAIL' ? failures : hints).push((marked[2] ?? '').trim());
  }
  return { failures, hints, output };
}
