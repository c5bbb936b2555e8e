import { expect, type Page } from '@playwright/test';
import type { LabStatus } from '../../../lib/lab/lab-session';

/** Boot to a shell prompt must fit in this on the 2-core CI machine (issue: 90 s). */
export const BOOT_TO_PROMPT_LIMIT_MS = 90_000;

/**
 * The start of a line of a command's output on the serial console. Before the first line,
 * bash's readline may switch bracketed paste off (ESC[?2004l) and return the carriage.
 */
export const LINE_START = String.raw`\n(?:\x1b\[[0-9;?]*[A-Za-z]|\r)*`;

/** Page object for /lab/<id>: drives the machine through the UI and reads it through window.leaflab. */
export class LabPage {
  /** `baseURL` is needed for pages outside Playwright's own contexts (see ChromiumProcess). */
  constructor(
    readonly page: Page,
    private readonly baseURL?: string,
  ) {}

  /** Opens /lab/<imageId>, with a query such as `?disk=union`. */
  async open(imageId: string, query = ''): Promise<void> {
    const path = `/lab/${imageId}${query}`;
    await this.page.goto(this.baseURL ? new URL(path, this.baseURL).href : path);
    await this.page.waitForFunction(() => window.leaflab !== undefined);
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.page.waitForFunction(() => window.leaflab !== undefined);
  }

  status(): Promise<LabStatus | undefined> {
    return this.page.evaluate(() => window.leaflab?.status);
  }

  serialOutput(): Promise<string> {
    return this.page.evaluate(() => window.leaflab?.serialOutput() ?? '');
  }

  screenText(): Promise<string> {
    return this.page.evaluate(() => window.leaflab?.screenText() ?? '');
  }

  async waitForStatus(status: LabStatus, timeoutMs: number): Promise<void> {
    await this.page.waitForFunction(
      (wanted) => {
        const hook = window.leaflab;
        if (hook?.status === 'error') throw new Error(`lab error: ${hook.snapshot().error}`);
        return hook?.status === wanted;
      },
      status,
      { timeout: timeoutMs, polling: 250 },
    );
  }

  async waitForPrompt(): Promise<void> {
    await this.waitForStatus('running', BOOT_TO_PROMPT_LIMIT_MS);
  }

  /** Waits until the serial output (after `fromOffset`) matches. */
  async waitForSerial(pattern: RegExp, fromOffset = 0, timeoutMs = 30_000): Promise<string> {
    const handle = await this.page.waitForFunction(
      ([source, flags, offset]) => {
        const text = window.leaflab?.serialOutput().slice(offset) ?? '';
        return new RegExp(source, flags).test(text) ? text : false;
      },
      [pattern.source, pattern.flags, fromOffset] as const,
      { timeout: timeoutMs, polling: 200 },
    );
    return (await handle.jsonValue()) as string;
  }

  /** Runs a shell command through the hook and returns what it printed, up to the next prompt. */
  async run(command: string, timeoutMs = 30_000): Promise<string> {
    const marker = `__done_${Math.random().toString(36).slice(2, 8)}__`;
    const fromOffset = (await this.serialOutput()).length;
    await this.page.evaluate((text) => window.leaflab?.sendSerial(text), `${command}; echo ${marker}\n`);
    const output = await this.waitForSerial(new RegExp(`${LINE_START}${marker}\\r?\\n`), fromOffset, timeoutMs);
    return output;
  }

  /** sha-256 of a file in the guest, as `sha256sum` prints it. */
  async sha256Of(guestPath: string): Promise<string> {
    const output = await this.run(`sha256sum ${guestPath}`);
    const match = new RegExp(`${LINE_START}([0-9a-f]{64})  ${guestPath}\\r?\\n`).exec(output);
    if (!match?.[1]) throw new Error(`no sha256sum of ${guestPath} in: ${output}`);
    return match[1];
  }

  async click(name: 'Start' | 'Stop' | 'Restart' | 'Reset disk' | 'Share'): Promise<void> {
    // The header's buttons (a lesson's panel has buttons of its own).
    await this.page.getByRole('group', { name: 'Machine controls' }).getByRole('button', { name, exact: true }).click();
  }

  /** Writes `sizeKiB` of random bytes to a guest file, syncs, and returns its sha-256. */
  async writeRandomFile(guestPath: string, sizeKiB = 2048): Promise<string> {
    await this.run(`dd if=/dev/urandom of=${guestPath} bs=1024 count=${sizeKiB} 2>/dev/null`, 60_000);
    const sha = await this.sha256Of(guestPath);
    await this.run('sync', 60_000);
    return sha;
  }

  async fileExists(guestPath: string): Promise<boolean> {
    // The terminal echoes the command, so the answer must be text the command line lacks.
    const output = await this.run(`test -e ${guestPath}; echo "exists-status=$?"`);
    const status = /exists-status=(\d+)/.exec(output)?.[1];
    if (status === undefined) throw new Error(`no answer from test -e ${guestPath} in: ${output}`);
    return status === '0';
  }

  /** The workspace this machine runs in, as the hook reports it. */
  workspace(): Promise<{ name: string; storageId: string } | undefined> {
    return this.page.evaluate(() => window.leaflab?.workspace);
  }

  /** The workspace panel's row of a workspace. */
  workspaceRow(name: string) {
    return this.page.getByTestId('workspace-panel').locator(`tr[data-workspace="${name}"]`);
  }

  /** What the browser reports this site stores (navigator.storage.estimate). */
  storageUsageBytes(): Promise<number> {
    return this.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  }

  /** Names of this site's IndexedDB databases. */
  databaseNames(): Promise<string[]> {
    return this.page.evaluate(async () => (await indexedDB.databases()).map((info) => info.name ?? ''));
  }

  async expectStatusBadge(text: string): Promise<void> {
    await expect(this.page.getByTestId('lab-status')).toHaveText(text);
  }
}
