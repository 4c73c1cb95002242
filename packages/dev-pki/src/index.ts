export { createCertificateAuthority, thumbprintOf } from './lib/issue.js';
export type { CaOptions, CertificateAuthority, IssuedCertificate, LeafOptions, ValidityOptions } from './lib/issue.js';
export { createDevPki, writeDevPki } from './lib/bundle.js';
export type { DevPki, DevPkiFiles, DevPkiOptions } from './lib/bundle.js';
export type { KeyAlgorithm } from './lib/keys.js';
export { DevPkiError } from './errors.js';
export type { DevPkiErrorCode } from './errors.js';
