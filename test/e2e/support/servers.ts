import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A free TCP port on loopback (asked from the kernel, then released for the caller to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it answered ${url}`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Debian's nginx serving a folder on loopback, as any static host with Range support would,
 * plus the CORS headers a browser needs to read the image from another origin.
 */
export class NginxServer {
  private constructor(
    readonly url: string,
    readonly accessLogPath: string,
    private readonly child: ChildProcess,
    private readonly prefix: string,
  ) {}

  static async start(rootDirectory: string): Promise<NginxServer> {
    const port = await freePort();
    const prefix = mkdtempSync(path.join(tmpdir(), 'leaflab-nginx-'));
    const accessLogPath = path.join(prefix, 'access.log');
    // master_process off: one process as the current user, so it reads what this user can read.
    writeFileSync(
      path.join(prefix, 'nginx.conf'),
      `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events {}
http {
  default_type application/octet-stream;
  access_log ${accessLogPath};
  client_body_temp_path ${prefix}/client;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${rootDirectory};
    location / {
      add_header Access-Control-Allow-Origin "*" always;
      add_header Access-Control-Allow-Headers "Range, If-Range" always;
      add_header Access-Control-Expose-Headers "Content-Range, Content-Length, Accept-Ranges, ETag" always;
      if ($request_method = OPTIONS) { return 204; }
    }
  }
}
`,
    );
    const child = spawn('/usr/sbin/nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], {
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/`, child, 'nginx', 15_000);
    return new NginxServer(url, accessLogPath, child, prefix);
  }

  async stop(): Promise<void> {
    await stopped(this.child);
    rmSync(this.prefix, { recursive: true, force: true });
  }
}

/** A second lab server (the production build) with its own environment, e.g. another image host. */
export class LabServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  /** `port`: a fixed port (e.g. one of those a test machine assigns); default a free one. */
  static async start(environment: Record<string, string>, port?: number): Promise<LabServer> {
    port ??= await freePort();
    const child = spawn('npx', ['tsx', 'server.ts'], {
      env: { ...process.env, ...environment, PORT: String(port), HOST: '127.0.0.1' },
      stdio: 'ignore',
      // Its own process group: npx runs the server as a grandchild, which a signal to npx alone leaves running.
      detached: true,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/api/images`, child, 'the lab server', 60_000);
    return new LabServer(url, child);
  }

  /** Stops the server process itself (the whole group npx started) and waits until its port refuses connections. */
  async stop(): Promise<void> {
    const exited = stopped(this.child);
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        // The group is gone already.
      }
    }
    await exited;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${this.url}/api/images`);
        await response.body?.cancel();
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the lab server at ${this.url} still answers after it was stopped`);
  }
}
