import type { IncomingMessage } from 'node:http';
import type { RequestInput } from '../types.js';

/**
 * What the verifier needs from a Node request: headers, raw headers (duplicates), the socket and its peer.
 * `url` overrides `req.url` (Express routers rewrite it below their mount point; `originalUrl` keeps the query).
 */
export function requestInputOf(req: IncomingMessage, url: string | undefined = req.url): RequestInput {
  const input: RequestInput = { headers: req.headers, rawHeaders: req.rawHeaders, socket: req.socket };
  // The immediate peer only: never an X-Forwarded-For the client could write (trusted proxies are core's call).
  const remoteAddress = req.socket.remoteAddress;
  if (remoteAddress !== undefined) input.remoteAddress = remoteAddress;
  if (url !== undefined) input.url = url;
  return input;
}
