import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chromium, type Browser } from '@playwright/test';
import { chromiumArgs, chromiumExecutable } from '../../../playwright.config';

/**
 * A Chromium process of our own on a given profile directory, driven over CDP. Playwright's
 * own launch hides the process; the persistence tests need to end it for real: close it, or
 * SIGKILL it, then start a new one on the same profile.
 */
export class ChromiumProcess {
  private constructor(
    readonly browser: Browser,
    private readonly child: ChildProcess,
  ) {}

  static async start(profileDirectory: string): Promise<ChromiumProcess> {
    const portFile = `${profileDirectory}/DevToolsActivePort`;
    rmSync(portFile, { force: true });
    const child = spawn(
      chromiumExecutable,
      [...chromiumArgs, '--headless', `--user-data-dir=${profileDirectory}`, '--remote-debugging-port=0', 'about:blank'],
      // Its own process group, so that kill() ends the renderers with it, as a crash would.
      { stdio: 'ignore', detached: true },
    );
    const deadline = Date.now() + 30_000;
    while (!existsSync(portFile) || readFileSync(portFile, 'utf8').split('\n').length < 2) {
      if (child.exitCode !== null) throw new Error(`Chromium exited with code ${child.exitCode} before it listened`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('Chromium did not open its DevTools port within 30 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const port = readFileSync(portFile, 'utf8').split('\n')[0];
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
    return new ChromiumProcess(browser, child);
  }

  /** A page in the profile's default context (the one that owns the profile's storage). */
  async newPage() {
    const context = this.browser.contexts()[0];
    if (!context) throw new Error('Chromium has no default context');
    return context.newPage();
  }

  /** Quits the browser the way a user does (it shuts down cleanly), and waits for it. */
  async close(): Promise<void> {
    const session = await this.browser.newBrowserCDPSession();
    await session.send('Browser.close').catch(() => undefined); // the connection drops as it quits
    await this.exited();
  }

  /** Ends the browser and all its processes at once with SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    await this.exited();
  }

  private exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }
}
