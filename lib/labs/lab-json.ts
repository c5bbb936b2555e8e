/**
 * lab.json: parsed from text, every problem with its line. Plain TypeScript (no Node imports).
 * Unknown fields are problems, not ignored: a misspelt "nxet" would otherwise silently do nothing.
 */
import { BOOT_LIMITS } from '../images/manifest';
import { LAYER_ID_PATTERN } from '../layers/layer-format';
import { LAB_ID_PATTERN, type LabJson, type LabMachine, type LabProblem } from './lab-format';

export type { LabJson };
import { keyLine, keyOffset, syntaxErrorLine } from './text-lines';


const KNOWN_FIELDS = ['title', 'description', 'image', 'layer', 'machine', 'next'] as const;
const MACHINE_FIELDS = ['memoryMiB', 'vgaMemoryMiB', 'acpi'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses lab.json's text; `file` names it in problems (e.g. labs/linux-basics/lab.json). */
export function parseLabJson(text: string, file: string): { lab?: LabJson; problems: LabProblem[] } {
  const problems: LabProblem[] = [];
  const add = (line: number, problem: string) => problems.push({ file, line, problem });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    add(syntaxErrorLine(text, message), `not valid JSON: ${message}`);
    return { problems };
  }
  if (!isRecord(value)) {
    add(1, 'must be a JSON object: { "title": …, "description": …, "image": … }');
    return { problems };
  }
  for (const key of Object.keys(value)) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(key))
      add(keyLine(text, key), `unknown field "${key}" (known: ${KNOWN_FIELDS.join(', ')})`);
  }
  const requiredString = (key: 'title' | 'description' | 'image') => {
    const field = value[key];
    if (field === undefined) add(1, `missing field "${key}"`);
    else if (typeof field !== 'string' || field.trim() === '') add(keyLine(text, key), `"${key}" must be a non-empty string`);
  };
  requiredString('title');
  requiredString('description');
  requiredString('image');
  const { image, layer, machine, next } = value;
  if (typeof image === 'string' && image.trim() !== '' && !LAB_ID_PATTERN.test(image))
    add(keyLine(text, 'image'), `"image" must be an image id (lower-case letters, digits, dashes), got "${image}"`);
  if (layer !== undefined && (typeof layer !== 'string' || !LAYER_ID_PATTERN.test(layer)))
    add(keyLine(text, 'layer'), '"layer" must be a published layer id: 64 lower-case hex digits');
  if (next !== undefined && (typeof next !== 'string' || !LAB_ID_PATTERN.test(next)))
    add(keyLine(text, 'next'), '"next" must be a lab id (lower-case letters, digits, dashes)');
  const parsedMachine = machine === undefined ? undefined : parseMachine(machine, text, add);

  if (problems.length > 0) return { problems };
  return {
    problems,
    lab: {
      title: (value.title as string).trim(),
      description: (value.description as string).trim(),
      image: image as string,
      ...(layer !== undefined ? { layer: layer as string } : {}),
      ...(parsedMachine ? { machine: parsedMachine } : {}),
      ...(next !== undefined ? { next: next as string } : {}),
    },
  };
}

/** "machine": overrides of the image's boot settings, within what a manifest may say (BOOT_LIMITS). */
function parseMachine(machine: unknown, text: string, add: (line: number, problem: string) => void): LabMachine | undefined {
  const from = keyOffset(text, 'machine');
  if (!isRecord(machine)) {
    add(keyLine(text, 'machine'), '"machine" must be an object such as { "memoryMiB": 256 }');
    return undefined;
  }
  const parsed: LabMachine = {};
  for (const key of Object.keys(machine)) {
    if (!(MACHINE_FIELDS as readonly string[]).includes(key))
      add(keyLine(text, key, from), `unknown field "machine.${key}" (known: ${MACHINE_FIELDS.join(', ')})`);
  }
  for (const key of ['memoryMiB', 'vgaMemoryMiB'] as const) {
    const setting = machine[key];
    if (setting === undefined) continue;
    const { min, max } = BOOT_LIMITS[key];
    if (typeof setting !== 'number' || !Number.isInteger(setting) || setting < min || setting > max)
      add(keyLine(text, key, from), `"machine.${key}" must be a whole number from ${min} to ${max}`);
    else parsed[key] = setting;
  }
  if (machine.acpi !== undefined) {
    if (typeof machine.acpi !== 'boolean') add(keyLine(text, 'acpi', from), '"machine.acpi" must be true or false');
    else parsed.acpi = machine.acpi;
  }
  return parsed;
}
