/**
 * HTTP requests as sent, over a keep-alive agent: no client-side normalisation of the path, and
 * a reply is kept even when the server cuts it short (what arrived, and that it was cut).
 */
import { Agent, request } from 'node:http';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** False when the connection ended before Content-Length bytes arrived. */
  complete: boolean;
}

export function keepAliveAgent(maxSockets = 8): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

export function rawRequest(agent: Agent, port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers }, (res) => {
      const pieces: Buffer[] = [];
      let settled = false;
      const finish = (complete: boolean) => {
        if (settled) return;
        settled = true;
        const body = Buffer.concat(pieces);
        const expected = res.headers['content-length'];
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, complete: complete && (method === 'HEAD' || expected === undefined || Number(expected) === body.length) });
      };
      res.on('data', (piece: Buffer) => pieces.push(piece));
      res.on('end', () => finish(true));
      res.on('aborted', () => finish(false));
      res.on('error', () => finish(false));
      res.on('close', () => finish(res.complete));
    });
    req.on('error', reject);
    req.end();
  });
}
