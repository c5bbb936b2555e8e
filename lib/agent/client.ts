/**
 * The page's (or a test's) side of the Leaflab agent: runs scripts in the guest over the
 * second serial port, one at a time, each with a time limit, and tells "this image has no
 * agent" apart from a slow answer. It only needs a way to send bytes and to be given the bytes
 * received: `new AgentClient({ send: (b) => emulator.serial_send_bytes(1, b) })`, then
 * `emulator.add_listener('serial1-output-byte', (b) => client.receive(Uint8Array.of(b)))`.
 */
import { PROTOCOL_VERSION, encodeFrame, type Frame } from './frame';
import { FrameDecoder, type DamagedFrame } from './frame-decoder';

export interface AgentRunOptions {
  /** The guest kills the script (and all it started) after this long. Default 10 s. */
  timeLimitSeconds?: number;
  /** Run as this user (`su -l`), e.g. the lab's student; default root. */
  user?: string;
}

export interface AgentResult {
  /** The script's exit status; -1 when it was killed (time limit). */
  status: number;
  timedOut: boolean;
  /** The output went past the agent's cap and was cut there. */
  truncated: boolean;
  /** stdout and stderr, interleaved as written. */
  output: Uint8Array;
  /** `output` as UTF-8 (invalid sequences replaced). */
  outputText: string;
}

export interface AgentClientOptions {
  send(bytes: Uint8Array): void;
  /** How long to wait for the agent's hello before a request is refused. Default 30 s. */
  helloTimeoutMs?: number;
  /** Time allowed past a script's limit for its answer to arrive. Default 10 s. */
  answerMarginMs?: number;
  /** How often "are you there?" is asked while no hello has come. Default 2 s. */
  pingIntervalMs?: number;
}

/** The image has no agent (or it does not answer): checks cannot run on it. */
export class AgentUnavailableError extends Error {
  constructor(waitedMs: number) {
    super(`this image cannot run checks (no Leaflab agent answered on ttyS1 within ${Math.round(waitedMs / 1000)} s)`);
    this.name = 'AgentUnavailableError';
  }
}

const MAX_SCRIPT_BYTES = 64 * 1024;

interface Pending {
  id: number;
  resolve(frame: Frame): void;
  reject(error: Error): void;
}

export class AgentClient {
  private readonly decoder = new FrameDecoder({ frame: (f) => this.onFrame(f), damaged: (d) => this.onDamaged(d) });
  private readonly helloTimeoutMs: number;
  private readonly answerMarginMs: number;
  private readonly pingIntervalMs: number;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | undefined;
  private helloWaiters: (() => void)[] = [];
  /** The protocol version of the agent that said hello; undefined until one has. */
  agentVersion: number | undefined;

  constructor(private readonly options: AgentClientOptions) {
    this.helloTimeoutMs = options.helloTimeoutMs ?? 30_000;
    this.answerMarginMs = options.answerMarginMs ?? 10_000;
    this.pingIntervalMs = options.pingIntervalMs ?? 2_000;
  }

  /** Bytes the guest wrote on its second serial port. */
  receive(bytes: Uint8Array): void {
    this.decoder.push(bytes);
  }

  /** Runs `script` with sh in the guest; requests run one after another, in call order. */
  run(script: string, options: AgentRunOptions = {}): Promise<AgentResult> {
    const body = new TextEncoder().encode(script);
    const timeLimitSeconds = options.timeLimitSeconds ?? 10;
    const user = options.user ?? '-';
    if (body.length > MAX_SCRIPT_BYTES) return Promise.reject(new Error(`a script may have at most ${MAX_SCRIPT_BYTES} bytes, this one has ${body.length}`));
    if (!Number.isInteger(timeLimitSeconds) || timeLimitSeconds < 1) return Promise.reject(new Error(`the time limit must be a whole number of seconds >= 1, got ${timeLimitSeconds}`));
    if (!/^([a-z_][a-z0-9_.-]*|-)$/.test(user)) return Promise.reject(new Error(`not a user name: ${JSON.stringify(user)}`));
    const turn = this.queue.then(async () => {
      await this.ready();
      const frame = await this.exchange({ kind: 'run', id: this.nextId++, fields: [String(timeLimitSeconds), user], body }, timeLimitSeconds * 1000 + this.answerMarginMs);
      return resultOf(frame);
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Resolves once the agent has said hello; asks it every pingIntervalMs meanwhile. */
  private async ready(): Promise<void> {
    if (this.agentVersion !== undefined) return;
    await new Promise<void>((resolve, reject) => {
      const ping = () => this.options.send(encodeFrame({ kind: 'ping', id: this.nextId++, fields: [], body: new Uint8Array() }));
      const pinger = setInterval(ping, this.pingIntervalMs);
      const giveUp = setTimeout(() => {
        done();
        reject(new AgentUnavailableError(this.helloTimeoutMs));
      }, this.helloTimeoutMs);
      const onHello = () => {
        done();
        resolve();
      };
      const done = () => {
        clearInterval(pinger);
        clearTimeout(giveUp);
        this.helloWaiters = this.helloWaiters.filter((w) => w !== onHello);
      };
      this.helloWaiters.push(onHello);
      ping();
    });
  }

  /** Sends one request and waits for the frame answering it. */
  private exchange(request: Frame, timeoutMs: number): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        // Whatever became of the agent, ask again before the next request.
        this.agentVersion = undefined;
        reject(new Error(`the Leaflab agent did not answer request ${request.id} (${request.kind}) within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending = {
        id: request.id,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.options.send(encodeFrame(request));
    });
  }

  private onFrame(frame: Frame): void {
    if (frame.kind === 'hello') {
      const version = Number(frame.fields[0]);
      // A hello while a request runs, not asked for: the agent started again and lost it.
      if (frame.id === 0 && this.pending) this.settle(frame.id, undefined, new Error('the Leaflab agent restarted while running the request'));
      if (version !== PROTOCOL_VERSION) return; // an agent we cannot talk to is no agent
      this.agentVersion = version;
      for (const waiter of [...this.helloWaiters]) waiter();
      return;
    }
    if (frame.kind === 'error') {
      const message = new TextDecoder().decode(frame.body);
      this.settle(frame.id, undefined, new Error(`the Leaflab agent refused request ${frame.id} (${frame.fields[0] ?? 'error'}): ${message}`));
      return;
    }
    this.settle(frame.id, frame);
  }

  private onDamaged(damage: DamagedFrame): void {
    if (damage.id === undefined) return;
    this.settle(damage.id, undefined, new Error(`the Leaflab agent's answer to request ${damage.id} arrived damaged: ${damage.reason}`));
  }

  /** Ends the pending request if `id` is its id (or 0, the agent's own hello). */
  private settle(id: number, frame: Frame | undefined, error?: Error): void {
    const pending = this.pending;
    if (!pending || (id !== pending.id && id !== 0)) return;
    this.pending = undefined;
    if (frame) pending.resolve(frame);
    else pending.reject(error ?? new Error('no answer'));
  }
}

function resultOf(frame: Frame): AgentResult {
  const [statusText = '', timedOutText, truncatedText] = frame.fields;
  if (frame.kind !== 'result' || frame.fields.length !== 3 || !/^-?\d+$/.test(statusText)) {
    throw new Error(`the Leaflab agent answered with an unexpected frame: ${frame.kind} ${frame.fields.join(' ')}`);
  }
  return {
    status: Number(statusText),
    timedOut: timedOutText === '1',
    truncated: truncatedText === '1',
    output: frame.body,
    outputText: new TextDecoder().decode(frame.body),
  };
}
