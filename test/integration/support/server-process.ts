/**
 * A real lab server process (`tsx server.ts`, the production build that `npm test` prepared)
 * on a catalog folder of the test's own, with its output kept for assertions and failure reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../e2e/support/servers';

export class ServerProcess {
  output = '';

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const keep = (data: Buffer) => (this.output += data.toString('utf8'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** `port`: a fixed port (default a free one); `env`: more environment (e.g. the layer store's). */
  static async start(catalogDirectory: string, timeoutMs = 60_000, options: { port?: number; env?: Record<string, string> } = {}): Promise<ServerProcess> {
    const projectRoot = process.cwd();
    if (!existsSync(path.join(projectRoot, '.next', 'BUILD_ID')))
      throw new Error('No production build in .next: run `npm run build` (npm test prepares it) before these tests.');
    const port = options.port ?? (await freePort());
    const child = spawn(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), ['server.ts'], {
      cwd: projectRoot,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LEAFLAB_CATALOG_DIR: catalogDirectory, LEAFLAB_IMAGE_BASE_URL: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(port, child);
    const deadline = Date.now() + timeoutMs;
    while (!server.output.includes('ready on http://')) {
      if (!server.running) throw new Error(`server.ts exited with code ${child.exitCode}:\n${server.output}`);
      if (Date.now() > deadline) throw new Error(`server.ts did not get ready within ${timeoutMs} ms:\n${server.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return server;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
