// Shared test helpers: a token issuer, mTLS requests, PKI + configuration-file fixtures, servers and child processes.
export { createTestIssuer } from './tokens.js';
export type { MintOptions, TestAlgorithm, TestIssuer, TestIssuerOptions, TestSigningKey } from './tokens.js';
export { mtlsAgent, mtlsRequest, parseRawResponse, rawHttpsRequest } from './mtls.js';
export type { ClientTls, MtlsResponse, RawRequest, RawResponse } from './mtls.js';
export { SOURCE_FLAGS, exampleEnv, startChild, stopAllChildren, tsxArgs } from './child.js';
export type { ChildServer, StartChildOptions } from './child.js';
export { startJwksServer } from './jwks-server.js';
export type { JwksServer } from './jwks-server.js';
export { startHttpsServer } from './https-server.js';
export type { TestHttpsServer } from './https-server.js';
export { AUDIENCE, CLIENT_ID, ISSUER, ISSUER_TEMPLATE, REQUIRED_ROLE, REQUIRED_SCOPE, TENANT_ID, createAuthFixture } from './fixture.js';
export type { AuthFixture, ClientName } from './fixture.js';
export { readmeSnippet } from './readme.js';
