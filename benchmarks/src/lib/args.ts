/** Command-line options of `pnpm bench`. */
export interface RunArgs {
  quick: boolean;
  /** Scenario names to run (comma-separated or repeated `--only`); null = all. */
  only: string[] | null;
  /** Run server processes under `node --cpu-prof` and print their top self-time frames. */
  profile: boolean;
  /** Where results go; default benchmarks/results. */
  outDir: string | null;
  help: boolean;
}

export const USAGE = `usage: pnpm bench [--quick] [--only NAME[,NAME...]] [--profile] [--out DIR]
  --quick        short rounds (whole run about 13 minutes on 2 cores)
  --only NAME    run only these scenarios: verify, adapters-micro, http-koa, http-express, http-fastify, http-hono,
                 http (those four), http-nestjs, peer, gateway, jwks-hanging, client, memory
  --profile      run the server side under node --cpu-prof (into benchmarks/.profiles/) and print top frames
  --out DIR      write results there instead of benchmarks/results`;

export function parseArgs(argv: readonly string[]): RunArgs {
  const args: RunArgs = { quick: false, only: null, profile: false, outDir: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next.startsWith('--')) throw new TypeError(`${flag} needs a value\n${USAGE}`);
      return next;
    };
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--profile':
        args.profile = true;
        break;
      case '--only':
        args.only = [...(args.only ?? []), ...value().split(',').map((name) => name.trim()).filter(Boolean)];
        break;
      case '--out':
        args.outDir = value();
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--':
        break;
      default:
        throw new TypeError(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return args;
}
