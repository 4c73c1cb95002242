export { createConfidentialClient } from './create-confidential-client.js';
export { entraTokenEndpoint } from './entra-token-endpoint.js';
export { TokenCache } from './token-cache.js';
export type { TokenCacheOptions } from './token-cache.js';
export { FileTokenStore, InMemoryTokenStore, RedisTokenStore } from './token-store.js';
export type { FileTokenStoreOptions, InMemoryTokenStoreOptions, RedisClientLike, RedisTokenStoreOptions, TokenStore } from './token-store.js';
export type { BindingCertificate } from './binding-certificate.js';
export { CertboundClientError, MSAL_ERROR_NAMES, TokenEndpointError, isCertboundClientError } from './errors.js';
export type {
  AnyCertboundClientError,
  ClientErrorCode,
  MsalErrorName,
  PreNetworkErrorCode,
  ResponseErrorCode,
  TokenEndpointErrorCode,
  TokenEndpointErrorDetails,
  TransportErrorCode,
} from './errors.js';
export { JWT_BEARER, JWT_POP } from './lib/token-request.js';
export type {
  AcquireTokenForClientRequest,
  AuthenticationResult,
  CertificateCredential,
  CertificateProvider,
  ClientAssertionCallback,
  ClientCredential,
  ClientEvent,
  ClientFetchInit,
  ClientTelemetryOptions,
  ClientSignedAssertion,
  ConfidentialClient,
  ConfidentialClientOptions,
  CredentialContext,
  HttpOptions,
  PemCertificateCredential,
  PfxCertificateCredential,
  ResultTokenType,
} from './types.js';
export { createClientForResource, readResourceMetadata, resourceMetadataUrlOf, type ClientForResourceOptions, type ProtectedResourceInfo, type ReadResourceMetadataOptions } from './resource-metadata.js';
