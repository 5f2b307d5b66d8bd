/**
 * `oxbow login` (and `oxbow login --logout`): OIDC tokens for `OXBOW_AUTH_TYPE=oidc`. The device-code flow for
 * people (prints the URL and code, waits for approval), the client-credentials flow for robots. The
 * access token is written where WLCG bearer-token discovery finds it; the refresh token (and, for
 * robots, the client secret) goes to a 0600 session file under ~/.config/oxbow/oidc/ so the client
 * refreshes the token by itself.
 */
import {
  bearerTokenLocation,
  clientCredentialsLogin,
  credentialDefaults,
  deviceCodeLogin,
  jwtExpiry,
  removeLogin,
  resolveClientSettings,
  saveLogin,
  trustedCas,
} from '@oxbow/client';
import { UsageError } from '../errors.js';
import { Output } from '../output.js';
import type { CliPlugin } from '../plugins.js';

interface LoginOptions {
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  clientCredentials?: boolean;
  scope?: string;
  audience?: string;
  tokenFile?: string;
  logout?: boolean;
  config?: string;
  json?: boolean;
}

/** The claims worth showing after a login (read without verification: the server verifies). */
function claimsOf(token: string): { sub?: string; aud?: unknown; scope?: string } {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: string;
    };
  } catch {
    return {};
  }
}

/** `oxbow login`. */
export const loginCommands: CliPlugin = {
  name: 'login',
  register(program, ctx) {
    const login = program
      .command('login')
      .description(
        'get an OIDC access token for OXBOW_AUTH_TYPE=oidc (device code; --client-credentials for robots)',
      )
      .option('--issuer <url>', 'OIDC issuer (env OXBOW_OIDC_ISSUER)')
      .option('--client-id <id>', 'OIDC client id (env OXBOW_OIDC_CLIENT_ID)')
      .option('--client-secret <secret>', 'client secret (env OXBOW_OIDC_CLIENT_SECRET)')
      .option('--client-credentials', 'robot login: client-credentials grant instead of the device code')
      .option(
        '--scope <scopes>',
        "scopes to ask for (env OXBOW_OIDC_SCOPE; default 'openid offline_access' for the device code)",
      )
      .option('--audience <aud>', 'token audience (env OXBOW_OIDC_AUDIENCE; default rucio)')
      .option(
        '--token-file <file>',
        'where to write the access token (default BEARER_TOKEN_FILE, else $XDG_RUNTIME_DIR/bt_u$UID, else /tmp/bt_u$UID)',
      )
      .option('--logout', 'remove the token file and its refresh session instead of logging in')
      .option('--config <file>', 'client config file (CA settings)')
      .option('--json', 'print the result as one JSON document');
    login.action(async () => {
      const o = login.opts<LoginOptions>();
      const env = ctx.env;
      const s = resolveClientSettings({ config: o.config }, env).settings;
      if (o.logout) {
        const tokenFile = o.tokenFile ?? bearerTokenLocation(s);
        const removed = removeLogin(s.oidcSessionDir ?? credentialDefaults(env).oidcSessionDir, tokenFile);
        return new Output(ctx.stdout, Boolean(o.json)).doc({ removed }, () =>
          removed.length ? `Removed ${removed.join(', ')}` : `Nothing to remove (${tokenFile} absent)`,
        );
      }
      const issuer = o.issuer ?? env.OXBOW_OIDC_ISSUER;
      const clientId = o.clientId ?? env.OXBOW_OIDC_CLIENT_ID;
      const clientSecret = o.clientSecret ?? env.OXBOW_OIDC_CLIENT_SECRET;
      if (!issuer) throw new UsageError('no OIDC issuer: pass --issuer or set OXBOW_OIDC_ISSUER');
      if (!clientId) throw new UsageError('no OIDC client: pass --client-id or set OXBOW_OIDC_CLIENT_ID');
      const robot = Boolean(o.clientCredentials);
      if (robot && !clientSecret)
        throw new UsageError('--client-credentials needs --client-secret (or OXBOW_OIDC_CLIENT_SECRET)');
      const spec = {
        issuer,
        clientId,
        clientSecret,
        scope: o.scope ?? env.OXBOW_OIDC_SCOPE ?? (robot ? undefined : 'openid offline_access'),
        audience: o.audience ?? env.OXBOW_OIDC_AUDIENCE ?? 'rucio',
      };
      const http = { ca: trustedCas({ caFile: s.caFile, certDir: s.certDir }) };
      const tokens = robot
        ? await clientCredentialsLogin(spec, http)
        : await deviceCodeLogin(spec, (p) => {
            // On stderr: stdout carries only the result (one JSON document with --json).
            ctx.stderr.write(
              `To log in, open ${p.verificationUri} and enter the code ${p.userCode} (valid ${p.expiresIn} s)\n` +
                (p.verificationUriComplete ? `or open ${p.verificationUriComplete}\n` : '') +
                'Waiting for approval…\n',
            );
          });
      const tokenFile = o.tokenFile ?? bearerTokenLocation(s);
      const sessionDir = s.oidcSessionDir ?? credentialDefaults(env).oidcSessionDir;
      const sessionFile = saveLogin(
        sessionDir,
        tokenFile,
        { ...spec, flow: robot ? 'client_credentials' : 'device' },
        tokens,
      );
      const claims = claimsOf(tokens.accessToken);
      const expiresAt = tokens.expiresAt ?? jwtExpiry(tokens.accessToken);
      const result = {
        issuer,
        subject: claims.sub ?? null,
        scope: tokens.scope ?? claims.scope ?? null,
        expires: expiresAt ? new Date(expiresAt).toISOString() : null,
        tokenFile,
        sessionFile,
        refreshable: Boolean(tokens.refreshToken) || robot,
      };
      const hint =
        o.tokenFile && !env.BEARER_TOKEN_FILE
          ? `\nexport BEARER_TOKEN_FILE=${tokenFile} OXBOW_AUTH_TYPE=oidc`
          : '\nexport OXBOW_AUTH_TYPE=oidc';
      await new Output(ctx.stdout, Boolean(o.json)).doc(
        result,
        () =>
          `Logged in at ${issuer} as ${result.subject ?? '?'}; access token in ${tokenFile} (expires ${result.expires ?? 'unknown'})` +
          `\n${result.refreshable ? `Refreshed automatically with ${sessionFile}` : 'No refresh token: run oxbow login again when it expires'}${hint}`,
      );
    });
  },
};
