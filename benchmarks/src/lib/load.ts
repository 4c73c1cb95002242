import autocannon from 'autocannon';

/** One autocannon run against a server. */
export interface LoadOptions {
  /** Base URL, e.g. "https://127.0.0.1:4433". */
  url: string;
  path: string;
  /** Sent with every request. */
  headers?: Record<string, string>;
  /** Client certificate and key (mTLS) for https URLs. */
  clientCert?: { cert: string; key: string };
  connections: number;
  durationSeconds: number;
  /**
   * A different value of `header` on every request, taken in turn from `values` by one counter shared by all
   * connections (so that no two connections send the same value at the same time).
   */
  rotate?: { header: string; prefix: string; values: readonly string[] };
}

export interface LoadResult {
  /** 2xx responses per second of the run. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  seconds: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const requestOptions: autocannon.Options = {
    url: options.url + options.path,
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
    timeout: 10,
    // Keep-alive is autocannon's behaviour: each connection keeps its socket (and its TLS session) for the run.
    headers: options.headers ?? {},
    servername: 'localhost',
  };
  if (options.clientCert !== undefined) {
    (requestOptions as autocannon.Options & { tlsOptions: object }).tlsOptions = { cert: options.clientCert.cert, key: options.clientCert.key };
  }
  if (options.rotate !== undefined) {
    const { header, prefix, values } = options.rotate;
    if (values.length === 0) throw new RangeError('rotate.values is empty');
    let next = 0;
    requestOptions.requests = [
      {
        setupRequest: (request) => {
          const value = values[next]!;
          next = next + 1 === values.length ? 0 : next + 1;
          request.headers = { ...request.headers, [header]: prefix + value };
          return request;
        },
      },
    ];
  }
  // Without a callback autocannon returns its run tracker (an EventEmitter) made thenable; the types say Promise only.
  const instance = autocannon(requestOptions) as Promise<autocannon.Result> & { on(event: 'response', listener: () => void): void };
  const result = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries((result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {})) {
    statusCodes[code] = stats.count;
  }
  const seconds = result.duration > 0 ? result.duration : options.durationSeconds;
  return {
    rps: result['2xx'] / seconds,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    seconds,
  };
}

/**
 * A run only counts when the server answered what the scenario expects: every response 2xx (a rejected token
 * is a broken set-up, not a fast server). A few socket errors when autocannon stops are tolerated.
 */
export function assertHealthy(name: string, result: LoadResult): void {
  const total = result.ok + result.non2xx;
  if (result.ok === 0) throw new Error(`${name}: no 2xx responses (status codes ${JSON.stringify(result.statusCodes)}, errors ${result.errors})`);
  if (result.non2xx > 0) throw new Error(`${name}: ${result.non2xx} of ${total} responses were not 2xx (${JSON.stringify(result.statusCodes)})`);
  if (result.errors > Math.max(10, total * 0.001)) throw new Error(`${name}: ${result.errors} socket errors / timeouts in ${total} requests`);
}
