/** The page-check format: what lab:check accepts, and each problem named on its own line. */
import { describe, expect, it } from 'vitest';
import { parsePageCheck } from '@/lib/labs/page-check';

const FILE = 'labs/x/steps/02-write.page-check.json';

function problemsOf(text: string): string[] {
  return parsePageCheck(text, FILE).problems.map(({ line, problem }) => `${line}: ${problem}`);
}

describe('parsePageCheck', () => {
  it('accepts conditions on each measure with each comparison', () => {
    const text = JSON.stringify(
      {
        conditions: [
          { measure: 'liveLeafBytes', atLeast: 4194304, failure: 'write {target}' },
          { measure: 'frozenLayers', atMost: 0, failure: 'reset' },
          { measure: 'rootFetchedBytes', grewBy: 8388608, failure: 'read' },
        ],
      },
      null,
      2,
    );
    expect(parsePageCheck(text, FILE)).toEqual({
      problems: [],
      pageCheck: {
        conditions: [
          { measure: 'liveLeafBytes', comparison: 'atLeast', target: 4194304, failure: 'write {target}' },
          { measure: 'frozenLayers', comparison: 'atMost', target: 0, failure: 'reset' },
          { measure: 'rootFetchedBytes', comparison: 'grewBy', target: 8388608, failure: 'read' },
        ],
      },
    });
  });

  it('names the line of each broken condition', () => {
    const text = [
      '{',
      '  "conditions": [',
      '    { "measure": "liveLeafBytes", "atLeast": 1, "failure": "fine" },',
      '    { "measure": "leafBytes", "atLeast": 1, "failure": "typo" },',
      '    { "measure": "frozenLayers", "atLeast": 1, "atMost": 2, "failure": "two" },',
      '    { "measure": "frozenLayers", "atMost": -1, "failure": "" },',
      '    { "measure": "frozenLayers", "atMost": 1, "failure": "x", "why": 1 }',
      '  ]',
      '}',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '4: condition 2: "measure" must be one of liveLeafBytes, frozenLayers, rootFetchedBytes (not "leafBytes")',
      '5: condition 3: give exactly one of atLeast, atMost, grewBy (found 2)',
      '6: condition 4: "atMost" must be a whole number ≥ 0 (bytes for the *Bytes measures)',
      '6: condition 4: "failure" must be the message the student sees when it does not hold (1 to 300 characters)',
      '7: condition 5: unknown field "why"',
    ]);
  });

  it('refuses what is not a list of conditions', () => {
    expect(problemsOf('{\n  "conditions": [\n')).toEqual([expect.stringMatching(/^\d+: not valid JSON: /)]);
    expect(problemsOf('[]')).toEqual(['1: must be a JSON object with a "conditions" list']);
    expect(problemsOf('{\n  "conditions": []\n}')).toEqual(['2: "conditions" must be a list of 1 to 8 conditions']);
    expect(problemsOf('{\n  "conditions": [{ "measure": "frozenLayers", "atMost": 0, "failure": "x" }],\n  "extra": true\n}')).toEqual([
      '3: unknown field "extra" (a page check has only "conditions")',
    ]);
  });
});
