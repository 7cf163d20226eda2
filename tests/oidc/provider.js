// A real OpenID provider (panva/oidc-provider, OpenID Certified) for aifhub's sign-in tests.
//
// Environment:
//   OIDC_PORT           port to listen on, on 127.0.0.1 (required)
//   OIDC_CLIENT_ID      the static client's id (default "aifhub")
//   OIDC_CLIENT_SECRET  its secret (default "aifhub-secret")
//   OIDC_REDIRECT_URIS  its redirect URIs, comma-separated (required)
//   OIDC_ACCOUNTS       JSON {"<login>": {claims...}}: the accounts one can sign in as
//   OIDC_POST_LOGOUT_REDIRECT_URIS  the client's post-logout redirect URIs, comma-separated
//                       (RP-initiated logout, at the metadata's end_session_endpoint)
//   OIDC_RP_LOGOUT      "off" for a provider without end_session_endpoint
//   OIDC_ISS_METADATA   "off" to leave authorization_response_iss_parameter_supported out
//                       of the discovery document (RFC 9207; the `iss` is still sent)
//
// Sign-in uses the provider's own development interactions: a login form (any password is
// accepted for a known login) then a consent form, both real HTML forms a client posts.
// PKCE (S256) is required. Prints "oidc-provider listening on <issuer>" when ready.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
if (!port) {
  console.error('OIDC_PORT is required');
  process.exit(2);
}
const redirectUris = (process.env.OIDC_REDIRECT_URIS || '').split(',').filter(Boolean);
if (redirectUris.length === 0) {
  console.error('OIDC_REDIRECT_URIS is required');
  process.exit(2);
}
const postLogoutRedirectUris = (process.env.OIDC_POST_LOGOUT_REDIRECT_URIS || '')
  .split(',')
  .filter(Boolean);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const issuer = `http://127.0.0.1:${port}`;

// A fresh signing key per run: the relying party must fetch it from the JWKS.
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: `test-${Date.now()}`,
  alg: 'RS256',
  use: 'sig',
};

const configuration = {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID || 'aifhub',
      client_secret: process.env.OIDC_CLIENT_SECRET || 'aifhub-secret',
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['aifhub-test-provider-cookie-key'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
    // A nested claim, as Keycloak sends realm roles.
    roles: ['realm_access'],
    // The site's own claim: the user's login on an HPC cluster (trusted per cluster by aifhub).
    hpc: ['hpc_login'],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: process.env.OIDC_RP_LOGOUT !== 'off' },
  },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...claims };
      },
    };
  },
  ttl: {
    AuthorizationCode: 60,
    AccessToken: 300,
    IdToken: 300,
    Interaction: 300,
    Session: 600,
    Grant: 600,
  },
};

const provider = new Provider(issuer, configuration);
if (process.env.OIDC_ISS_METADATA === 'off') {
  // A provider that does not promise RFC 9207's `iss` on its authorization responses.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/.well-known/openid-configuration' && ctx.body) {
      delete ctx.body.authorization_response_iss_parameter_supported;
    }
  });
}
provider.on('server_error', (ctx, err) => console.error('server_error', err));
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
