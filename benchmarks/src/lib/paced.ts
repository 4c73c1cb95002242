import { connect, type TLSSocket } from 'node:tls';

/**
 * Evenly paced load for the CPU-per-request rounds (target 1). autocannon's `overallRate` lets every connection
 * send its share of a second as fast as it can and then wait for the next second, so a "fixed rate" run is really
 * short saturated bursts, whose batching moves the CPU per request. Here a timer offers the requests due every
 * millisecond to idle keep-alive connections, so each request meets a server that is not busy with others. The
 * connections are opened once and kept across rounds: no TLS handshake falls inside a measured round.
 */
export interface PacedOptions {
  /** Base URL, e.g. "https://127.0.0.1:4433". */
  url: string;
  path: string;
  /** Sent with every request. */
  headers?: Record<string, string>;
  clientCert: { cert: string; key: string };
  connections: number;
}

/** What one paced run saw. */
export interface PacedRun {
  /** Requests written (all of them answered by the time `run` returns). */
  sent: number;
  ok: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Requests that were due while every connection still waited for an answer: the server fell behind the rate. */
  late: number;
  seconds: number;
}

/** How long the answers still in flight at the end of a run may take. */
const DRAIN_MS = 5_000;
/** A run where more than this fraction of the due requests found no idle connection did not offer its rate. */
const MAX_LATE_FRACTION = 0.05;

/**
 * Thrown by `run` before it sends anything when a connection went down since `reconnect` (a server closing an idle
 * keep-alive connection just then): reconnect and run again.
 */
export class ConnectionDown extends Error {}

interface Connection {
  socket: TLSSocket;
  busy: boolean;
  buffered: Buffer;
  failure: Error | undefined;
}

export class PacedLoad {
  private readonly request: Buffer;
  private readonly target: URL;
  private connections: Connection[] = [];
  private answered = { ok: 0, non2xx: 0, statusCodes: {} as Record<string, number> };

  private constructor(private readonly options: PacedOptions) {
    this.target = new URL(options.url);
    const lines = [`GET ${options.path} HTTP/1.1`, `host: ${this.target.host}`, ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`)];
    this.request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  }

  /** Open `connections` keep-alive mTLS connections to the server. */
  static async open(options: PacedOptions): Promise<PacedLoad> {
    if (!Number.isInteger(options.connections) || options.connections < 1) throw new RangeError('connections must be a positive integer');
    const load = new PacedLoad(options);
    await load.reconnect();
    return load;
  }

  /** Replace any connection the server closed or that failed (between rounds, never inside one). */
  async reconnect(): Promise<void> {
    const kept = this.connections.filter((connection) => connection.failure === undefined && !connection.socket.destroyed);
    const missing = this.options.connections - kept.length;
    const opened = await Promise.all(Array.from({ length: missing }, () => this.connect()));
    this.connections = [...kept, ...opened];
  }

  private connect(): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const { cert, key } = this.options.clientCert;
      const socket = connect({ host: this.target.hostname, port: Number(this.target.port), cert, key, rejectUnauthorized: false, servername: 'localhost' });
      const connection: Connection = { socket, busy: false, buffered: Buffer.alloc(0), failure: undefined };
      socket.setNoDelay(true);
      socket.once('secureConnect', () => resolve(connection));
      socket.once('error', (error) => {
        connection.failure = error;
        reject(error);
      });
      socket.once('close', () => {
        if (connection.busy) connection.failure ??= new Error('the server closed a connection with a request in flight');
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          this.receive(connection, chunk);
        } catch (error) {
          connection.failure = error as Error;
          socket.destroy();
        }
      });
    });
  }

  /** Count every complete response in the connection's buffer (status line, headers, content-length body). */
  private receive(connection: Connection, chunk: Buffer): void {
    connection.buffered = connection.buffered.length === 0 ? chunk : Buffer.concat([connection.buffered, chunk]);
    for (;;) {
      const end = connection.buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = connection.buffered.subarray(0, end).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      if (status === undefined) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(head.slice(0, 40))}`);
      if (/\r\ntransfer-encoding:/i.test(head)) throw new Error('paced load reads content-length responses only; the server sent transfer-encoding');
      const length = Number(/\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1] ?? 0);
      if (connection.buffered.length < end + 4 + length) return;
      connection.buffered = connection.buffered.subarray(end + 4 + length);
      const code = Number(status);
      if (code >= 200 && code < 300) this.answered.ok++;
      else this.answered.non2xx++;
      this.answered.statusCodes[status] = (this.answered.statusCodes[status] ?? 0) + 1;
      connection.busy = false;
    }
  }

  /** Offer `rate` requests per second, evenly, for `seconds`; returns once every request sent was answered. */
  async run(rate: number, seconds: number): Promise<PacedRun> {
    if (!(rate > 0) || !(seconds > 0)) throw new RangeError('rate and seconds must be positive');
    const broken = this.connections.find((connection) => connection.failure !== undefined || connection.socket.destroyed);
    if (broken !== undefined) throw new ConnectionDown(`a connection is down (${broken.failure?.message ?? 'closed'}); reconnect() first`);
    this.answered = { ok: 0, non2xx: 0, statusCodes: {} };
    let sent = 0;
    let late = 0;
    let next = 0;
    const startedAt = performance.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = (performance.now() - startedAt) / 1000;
        if (elapsed >= seconds) {
          clearInterval(tick);
          resolve();
          return;
        }
        const due = Math.floor(elapsed * rate) - sent - late;
        for (let i = 0; i < due; i++) {
          const index = this.idleConnection(next);
          if (index < 0) {
            late += due - i;
            break;
          }
          next = (index + 1) % this.connections.length;
          const connection = this.connections[index]!;
          connection.busy = true;
          sent++;
          connection.socket.write(this.request);
        }
      }, 1);
    });
    const drainUntil = performance.now() + DRAIN_MS;
    while (this.connections.some((connection) => connection.busy && connection.failure === undefined) && performance.now() < drainUntil) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const failed = this.connections.find((connection) => connection.failure !== undefined);
    if (failed !== undefined) throw new Error(`paced load: ${failed.failure!.message}`);
    const answered = this.answered.ok + this.answered.non2xx;
    if (answered !== sent) throw new Error(`paced load: ${sent - answered} of ${sent} requests unanswered ${DRAIN_MS} ms after the run`);
    return { sent, ok: this.answered.ok, non2xx: this.answered.non2xx, statusCodes: { ...this.answered.statusCodes }, late, seconds };
  }

  /** The index of the first idle connection from `from` on, round the ring; -1 when every one is busy. */
  private idleConnection(from: number): number {
    for (let i = 0; i < this.connections.length; i++) {
      const index = (from + i) % this.connections.length;
      if (!this.connections[index]!.busy) return index;
    }
    return -1;
  }

  close(): void {
    for (const connection of this.connections) connection.socket.destroy();
    this.connections = [];
  }
}

/** More than MAX_LATE_FRACTION of the due requests found every connection busy: the server fell behind the rate. */
export function isBehind(run: PacedRun): boolean {
  return run.late > (run.sent + run.late) * MAX_LATE_FRACTION;
}

/** A paced round counts when every answer was 2xx and the server kept up with the rate. */
export function assertPacedHealthy(name: string, run: PacedRun): void {
  if (run.ok === 0) throw new Error(`${name}: no 2xx responses (status codes ${JSON.stringify(run.statusCodes)})`);
  if (run.non2xx > 0) throw new Error(`${name}: ${run.non2xx} of ${run.sent} responses were not 2xx (${JSON.stringify(run.statusCodes)})`);
  if (isBehind(run)) {
    throw new Error(`${name}: ${run.late} of ${run.sent + run.late} requests found every connection busy: the server did not keep up with the offered rate (lower it)`);
  }
}
