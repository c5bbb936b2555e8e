/**
 * GET /api/labs through the real server (server.ts on the production build): the valid labs
 * with their steps, and every broken lab left out with its problem in the server's log rather
 * than a 500. The catalog is empty: leaflab-linux, the fixtures' image, is known by its recipe. The labs folder is test/fixtures/labs (LEAFLAB_LABS_DIR): one good lab among
 * one broken lab per kind of problem.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLabs } from '@/lib/server/labs';
import { keepAliveAgent, rawRequest } from './support/raw-http';
import { ServerProcess } from './support/server-process';

const work = mkdtempSync(path.join(tmpdir(), 'leaflab-labs-api-'));
let server: ServerProcess;
const agent = keepAliveAgent(1);

beforeAll(async () => {
  server = await ServerProcess.start(path.join(work, 'catalog'), 60_000, { env: { LEAFLAB_LABS_DIR: path.resolve('test/fixtures/labs') } });
}, 90_000);

afterAll(async () => {
  agent.destroy();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('GET /api/labs', () => {
  it('lists the valid labs with their steps and logs each broken one instead of failing', async () => {
    const reply = await rawRequest(agent, server.port, 'GET', '/api/labs');
    expect(reply.status, server.output).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    const labs = JSON.parse(reply.body.toString()) as Array<{ id: string }>;
    // bad-sh is listed: sh -n is lab:check's, not run per request (see lib/server/labs.ts).
    expect(labs.map((lab) => lab.id)).toEqual(['bad-sh', 'good']);
    expect(labs[1]).toEqual(
      {
        id: 'good',
        title: 'A good lab',
        description: 'A fixture of lab:check.',
        image: 'leaflab-linux',
        steps: [
          { number: 1, slug: 'first', title: 'A step', scripts: { setup: true, check: true, hint: true, solve: true, pageCheck: false } },
          { number: 2, slug: 'second', title: 'Second step', scripts: { setup: false, check: false, hint: false, solve: false, pageCheck: true } },
        ],
      });
    expect(server.output).toContain('labs: left out of /api/labs: labs/bad-layer/lab.json:5: "layer" must be a published layer id');
    expect(server.output).toContain('labs: left out of /api/labs: labs/unknown-image/lab.json:4: unknown image "no-such-image"');
    expect(server.output).toContain('labs: left out of /api/labs: labs/unknown-next/lab.json:5: "next" names no lab');
    expect(server.output).toContain('labs: left out of /api/labs: labs/step-gap/steps/03-third.md:1: step numbers must run 01, 02');
  }, 30_000);
});

describe('the shipped labs', () => {
  it('are all listed, linux-basics with its six steps', async () => {
    const logged: string[] = [];
    const labs = await listLabs(path.resolve('labs'), new Set(['debian-lab', 'leaflab-linux']), (problem) => logged.push(problem.problem));
    expect(logged).toEqual([]);
    const linuxBasics = labs.find((lab) => lab.id === 'linux-basics');
    expect(linuxBasics).toMatchObject({ title: 'Linux command line basics', image: 'debian-lab' });
    expect(linuxBasics?.steps.map((step) => step.slug)).toEqual(['files', 'permissions', 'pipes', 'processes', 'python', 'git']);
  });
});
