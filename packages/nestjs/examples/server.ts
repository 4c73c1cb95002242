import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { remoteKeys, type VerifySuccess } from '@certbound/core';
import { CertboundAuth, CertboundGuard, CertboundModule, RequireScopes } from '@certbound/nestjs';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const jwksCa = process.env['JWKS_CA']; // only for a private authority

@Controller()
class OrdersController {
  @Get('orders')
  @RequireScopes('api.read')
  list(@CertboundAuth() auth: VerifySuccess) {
    return { subject: auth.claims.sub, thumbprint: auth.thumbprint };
  }
}

@Module({
  imports: [
    CertboundModule.forRoot({
      issuer: env('ISSUER', 'https://login.microsoftonline.com/{tenantid}/v2.0'),
      audience: env('AUDIENCE', 'api://my-api'),
      algorithms: ['RS256', 'ES256'],
      tokenTypes: ['at+jwt', 'application/at+jwt', 'JWT'],
      keys: remoteKeys({
        uri: env('JWKS_URI', 'https://login.microsoftonline.com/common/discovery/v2.0/keys'),
        ...(jwksCa ? { ca: readFileSync(jwksCa, 'utf8') } : {}),
      }),
    }),
  ],
  controllers: [OrdersController],
  // Every route needs a valid access token bound to the TLS client certificate it arrives with (RFC 8705).
  providers: [{ provide: APP_GUARD, useClass: CertboundGuard }],
})
class AppModule {}

const app = await NestFactory.create(AppModule, {
  httpsOptions: {
    cert: readFileSync(env('TLS_CERT', 'server.crt')),
    key: readFileSync(env('TLS_KEY', 'server.key')),
    requestCert: true, // ask every client for the certificate its tokens are bound to
    rejectUnauthorized: false, // RFC 8705 §6.2: self-signed client certificates are fine, the binding decides
  },
  logger: ['error', 'warn'],
});
app.enableShutdownHooks(['SIGTERM']); // closes the verifier CertboundModule created
await app.listen(Number(env('PORT', '8443')), '127.0.0.1');
console.log(`listening on https://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`);
