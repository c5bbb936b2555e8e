/** The lab format's pure parsing: what the browser will run on text the server already read. */
import { describe, expect, it } from 'vitest';
import { parseCheckOutput } from '@/lib/labs/check-output';
import { parseLabJson } from '@/lib/labs/lab-json';
import { firstHeading, parseSteps, splitHints } from '@/lib/labs/lab-steps';

describe('lab.json', () => {
  it('keeps the optional fields it knows', () => {
    const layer = 'a'.repeat(64);
    const text = JSON.stringify({ title: ' T ', description: 'D', image: 'debian-lab', layer, machine: { memoryMiB: 256, acpi: false }, next: 'other' }, null, 2);
    expect(parseLabJson(text, 'labs/x/lab.json')).toEqual({
      problems: [],
      lab: { title: 'T', description: 'D', image: 'debian-lab', layer, machine: { memoryMiB: 256, acpi: false }, next: 'other' },
    });
  });

  it('names the line of a nested machine setting', () => {
    const text = '{\n  "title": "vgaMemoryMiB",\n  "description": "d",\n  "image": "i",\n  "machine": {\n    "acpi": true,\n    "vgaMemoryMiB": 0\n  }\n}';
    expect(parseLabJson(text, 'f').problems).toEqual([{ file: 'f', line: 7, problem: '"machine.vgaMemoryMiB" must be a whole number from 1 to 256' }]);
  });

  it('puts a JSON that ends too early on its last line', () => {
    expect(parseLabJson('{\n  "title": "t",\n', 'f').problems).toMatchObject([{ file: 'f', line: 3, problem: expect.stringMatching(/^not valid JSON: /) }]);
  });

  it('refuses a value that is not an object', () => {
    expect(parseLabJson('[1]', 'f').problems).toMatchObject([{ line: 1, problem: expect.stringMatching(/must be a JSON object/) }]);
  });
});

describe('steps', () => {
  it('take their title from the first heading and note which scripts exist', () => {
    const files = new Map([
      ['01-intro.md', 'Some words.\n\n## Getting started ##\n\n# Later heading\n'],
      ['01-intro.check.sh', ''],
      ['01-intro.hint.md', 'h'],
    ]);
    expect(parseSteps(files, 'labs/x/steps')).toEqual({
      problems: [],
      steps: [{ number: 1, slug: 'intro', title: 'Getting started', markdown: files.get('01-intro.md'), scripts: { setup: false, check: true, hint: true, solve: false, pageCheck: false } }],
    });
  });

  it('finds no heading in plain text', () => {
    expect(firstHeading('#hashtag is not a heading\ntext')).toBeUndefined();
  });

  it('split hints on a line of dashes, dropping empty ones', () => {
    expect(splitHints('First\nhint.\n\n---\n\nSecond.\n-----\n\n')).toEqual(['First\nhint.', 'Second.']);
  });
});

describe('check output', () => {
  it('picks out FAIL: and HINT: lines and keeps the whole output', () => {
    const output = 'checking…\nFAIL: no folder\nHINT: use mkdir\nnot a FAIL: line\nFAIL:second\n';
    expect(parseCheckOutput(output)).toEqual({ failures: ['no folder', 'second'], hints: ['use mkdir'], output });
  });
});
