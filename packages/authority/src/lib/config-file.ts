import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { AuthorityConfig } from '../config.js';
import { AuthorityConfigError } from '../errors.js';
import { validateAuthorityConfig } from '../validate-config.js';
import { isLogLevel } from './logger.js';

/** The configuration file, read and validated: the registry plus the CLI's server settings (files already read). */
export interface AuthorityFile {
  readonly config: AuthorityConfig;
  readonly server: {
    readonly host: string;
    readonly port: number;
    /** PEM contents, or null when the file names none. */
    readonly tls: { readonly cert: string; readonly key: string } | null;
    readonly trustedClientCas: string[];
    readonly logLevel: string;
    readonly adminToken: string | null;
  };
}

type Json = Record<string, unknown>;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AuthorityConfigError(field, 'must be an object');
  return value as Json;
}

function onlyKeys(value: Json, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new AuthorityConfigError(`${field}.${key}`, 'unknown field');
}

async function readPem(baseDir: string, value: unknown, field: string): Promise<string> {
  if (typeof value !== 'string' || value === '') throw new AuthorityConfigError(field, 'must be a path (relative to the configuration file)');
  try {
    return await readFile(resolve(baseDir, value), 'utf8');
  } catch (error) {
    throw new AuthorityConfigError(field, `cannot read ${resolve(baseDir, value)}`, { cause: error });
  }
}

/** Read a configuration file: JSON, paths relative to the file, unknown fields refused, errors naming the field. */
export async function readAuthorityFile(path: string): Promise<AuthorityFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AuthorityConfigError('(file)', `cannot read ${path}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // No cause: V8's JSON errors quote the text around the fault, and the file holds the admin token.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new AuthorityConfigError('(file)', `${path} is not valid JSON${position === undefined ? '' : ` (at position ${position})`}`);
  }
  const config = validateAuthorityConfig(raw);
  const file = raw as Json;
  const baseDir = dirname(resolve(path));

  let host = '127.0.0.1';
  let port = 0;
  if (file['listen'] !== undefined) {
    const listen = object(file['listen'], 'listen');
    onlyKeys(listen, 'listen', ['host', 'port']);
    if (listen['host'] !== undefined) {
      if (typeof listen['host'] !== 'string' || listen['host'] === '') throw new AuthorityConfigError('listen.host', 'must be a non-empty string');
      host = listen['host'];
    }
    if (listen['port'] !== undefined) {
      const value = listen['port'];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) throw new AuthorityConfigError('listen.port', 'must be an integer from 0 to 65535');
      port = value;
    }
  }

  let tls: { cert: string; key: string } | null = null;
  if (file['tls'] !== undefined) {
    const section = object(file['tls'], 'tls');
    onlyKeys(section, 'tls', ['cert', 'key']);
    tls = { cert: await readPem(baseDir, section['cert'], 'tls.cert'), key: await readPem(baseDir, section['key'], 'tls.key') };
  }

  const trustedClientCas: string[] = [];
  if (file['trustedClientCas'] !== undefined) {
    if (!Array.isArray(file['trustedClientCas'])) throw new AuthorityConfigError('trustedClientCas', 'must be an array of paths');
    for (const [i, entry] of file['trustedClientCas'].entries()) trustedClientCas.push(await readPem(baseDir, entry, `trustedClientCas[${i}]`));
  }

  let logLevel = 'info';
  if (file['log'] !== undefined) {
    const log = object(file['log'], 'log');
    onlyKeys(log, 'log', ['level']);
    if (log['level'] !== undefined) {
      if (!isLogLevel(log['level'])) throw new AuthorityConfigError('log.level', 'must be fatal, error, warn, info, debug, trace or silent');
      logLevel = log['level'];
    }
  }

  let adminToken: string | null = null;
  if (file['admin'] !== undefined) {
    const admin = object(file['admin'], 'admin');
    onlyKeys(admin, 'admin', ['token']);
    if (admin['token'] !== undefined) {
      if (typeof admin['token'] !== 'string' || admin['token'].length < 32) throw new AuthorityConfigError('admin.token', 'must be a string of at least 32 characters');
      adminToken = admin['token'];
    }
  }

  return { config, server: { host, port, tls, trustedClientCas, logLevel, adminToken } };
}
