/**
 * Every forwarded-certificate format, by the name `headerSource({ format })` and the configuration file use. To
 * support another proxy, add one file beside these (a `ForwardedCertificateFormat`: default header name, whether
 * commas are legitimate, and `decode`) and one line here; the name, the type and the config check follow.
 */
import type { ForwardedCertificateFormat } from './format.js';
import { awsAlbFormat } from './aws-alb.js';
import { azureArrFormat } from './azure-arr.js';
import { base64DerFormat } from './base64-der.js';
import { nginxFormat } from './nginx.js';
import { rfc9440Format } from './rfc9440.js';
import { traefikFormat } from './traefik.js';
import { xfccFormat } from './xfcc.js';

export const HEADER_FORMATS = Object.freeze({
  rfc9440: rfc9440Format,
  xfcc: xfccFormat,
  nginx: nginxFormat,
  'aws-alb': awsAlbFormat,
  'azure-arr': azureArrFormat,
  traefik: traefikFormat,
  'base64-der': base64DerFormat,
} satisfies Record<string, ForwardedCertificateFormat>);

/** Forwarded-certificate header formats (packages/core/PROXIES.md; docs/configuration.md `certificateSource.format`). */
export type HeaderCertificateFormat = keyof typeof HEADER_FORMATS;
