/** `/auth/*`: userpass token issuing and token validation, with Rucio's headers. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { looksLikeJwt } from '../auth/oidc.js';
import { TOKEN_LIFETIME_S } from '../auth/tokens.js';
import { authenticateX509 } from '../auth/x509.js';
import { accountsForIdentity, verifyUserpass } from '../catalog/accounts.js';
import type { AppContext } from '../context.js';
import { cannotAuthenticate } from '../errors.js';
import { rucioDate } from '../http/dates.js';
import { sendError } from '../http/errors.js';
import { callerFromToken } from '../permissions/authenticate.js';

const EXPOSE = 'X-Rucio-Auth-Token, X-Rucio-Auth-Token-Expires, X-Rucio-Auth-Account, X-Rucio-Auth-Accounts';

function authHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('Access-Control-Expose-Headers', EXPOSE)
    .header('Cache-Control', 'no-cache, no-store, max-age=0, must-revalidate')
    .header('Pragma', 'no-cache');
}

/** Registers `/auth/userpass`, `/auth/x509`, `/auth/x509_proxy`, `/auth/x509/webui` and `/auth/validate`. */
export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const produces = ['application/octet-stream'];
  app.get('/auth/userpass', { config: { public: true, produces } }, async (req, reply) => {
    authHeaders(reply);
    const h = req.headers;
    const account = (h['x-rucio-account'] as string | undefined) || undefined;
    const username = h['x-rucio-username'] as string | undefined;
    const password = h['x-rucio-password'] as string | undefined;
    if (!username || !password) {
      return sendError(
        reply,
        401,
        'CannotAuthenticate',
        'Cannot authenticate without passing all required arguments (X-Rucio-Username and X-Rucio-Password headers).',
      );
    }
    const accounts = await verifyUserpass(ctx.catalog.db, username, password);
    let chosen = account;
    if (!chosen) {
      if (accounts.length === 0)
        throw cannotAuthenticate(`Identity '${username}' is not mapped to any account.`);
      if (accounts.length > 1) {
        return reply
          .code(206)
          .header('X-Rucio-Auth-Accounts', accounts.join(','))
          .type('application/octet-stream')
          .send(JSON.stringify(accounts));
      }
      chosen = accounts[0];
    } else if (!accounts.includes(chosen)) {
      throw cannotAuthenticate(`Cannot authenticate to account ${chosen} with given credentials`);
    }
    const acc = await ctx.catalog.db
      .selectFrom('accounts')
      .select('status')
      .where('account', '=', chosen!)
      .executeTakeFirst();
    if (acc?.status !== 'ACTIVE') throw cannotAuthenticate(`Account ${chosen} is not active.`);
    const ip = (h['x-forwarded-for'] as string | undefined) ?? req.ip;
    const { token, expiresAt } = await ctx.tokens.issue(chosen!, username, 'userpass', ip);
    return reply
      .header('X-Rucio-Auth-Account', chosen)
      .header('X-Rucio-Auth-Token', token)
      .header('X-Rucio-Auth-Token-Expires', rucioDate(expiresAt))
      .type('application/octet-stream')
      .send('');
  });

  // X509: the client certificate or proxy chain of the HTTPS connection (or a trusted front end's DN header).
  const x509Login = async (req: FastifyRequest, reply: FastifyReply) => {
    authHeaders(reply);
    const h = req.headers;
    const id = await authenticateX509(req, ctx.auth);
    const requested = (h['x-rucio-account'] as string | undefined) || undefined;
    let account: string;
    if (requested) {
      const mapped = await accountsForIdentity(ctx.catalog.db, id.dn, 'X509');
      if (!mapped.includes(requested))
        throw cannotAuthenticate(
          `Cannot authenticate to account ${requested}: DN ${id.dn} is not mapped to it.`,
        );
      account = requested;
    } else {
      const accounts = await accountsForIdentity(ctx.catalog.db, id.dn, 'X509');
      if (accounts.length === 0)
        throw cannotAuthenticate(
          `DN ${id.dn} is not mapped to any account; an admin adds it with 'oxbow account identity-add <account> --type X509 --id <DN>'.`,
        );
      if (accounts.length > 1) {
        if ((h['x-rucio-allow-return-multiple-accounts'] as string | undefined)?.toLowerCase() !== 'true')
          throw cannotAuthenticate(
            `Multiple accounts associated with the provided identity (${accounts.join(', ')}); choose one with X-Rucio-Account.`,
          );
        return reply
          .code(206)
          .header('X-Rucio-Auth-Accounts', accounts.join(','))
          .type('application/octet-stream')
          .send(JSON.stringify(accounts));
      }
      account = accounts[0];
    }
    const acc = await ctx.catalog.db
      .selectFrom('accounts')
      .select('status')
      .where('account', '=', account)
      .executeTakeFirst();
    if (acc?.status !== 'ACTIVE') throw cannotAuthenticate(`Account ${account} is not active.`);
    const ip = (h['x-forwarded-for'] as string | undefined) ?? req.ip;
    // A token never outlives the certificate or proxy it was issued for.
    const left = id.notAfter ? Math.floor((id.notAfter.getTime() - Date.now()) / 1000) : TOKEN_LIFETIME_S;
    const lifetime = Math.max(1, Math.min(TOKEN_LIFETIME_S, left));
    const attributes = {
      ...(id.limited ? { limited: true } : {}),
      ...(id.fqans.length ? { fqans: id.fqans, vo: id.vo } : {}),
    };
    const { token, expiresAt } = await ctx.tokens.issue(account, id.dn, id.method, ip, lifetime, attributes);
    if (id.vomsRejected) req.log.info({ dn: id.dn, reason: id.vomsRejected }, 'VOMS attributes ignored');
    return reply
      .header('X-Rucio-Auth-Account', account)
      .header('X-Rucio-Auth-Token', token)
      .header('X-Rucio-Auth-Token-Expires', rucioDate(expiresAt))
      .type('application/octet-stream')
      .send('');
  };
  for (const path of ['/auth/x509', '/auth/x509_proxy', '/auth/x509/webui'])
    app.get(path, { config: { public: true, produces } }, x509Login);

  app.get('/auth/validate', { config: { public: true, produces } }, async (req, reply) => {
    authHeaders(reply);
    const token = req.headers['x-rucio-auth-token'] as string | undefined;
    if (!token) return sendError(reply, 400, 'ValueError', 'Token must be set.');
    if (looksLikeJwt(token)) {
      // A JWT of a trusted issuer validates like Rucio's: account, identity, lifetime = exp, its scopes.
      const requested = (req.headers['x-rucio-account'] as string | undefined) || undefined;
      const c = await callerFromToken(ctx, token, requested, async () => false);
      return reply.type('application/json').send({
        account: c.account,
        identity: c.identity,
        lifetime: rucioDate(c.credential?.expiresAt ?? new Date().toISOString()),
        authz_scope: c.credential?.scopes?.join(' ') ?? null,
        audience: null,
        vo: 'def',
      });
    }
    const info = await ctx.tokens.validate(token);
    if (!info)
      throw cannotAuthenticate(
        'Cannot authenticate with given credentials: the token is unknown or expired.',
      );
    // Rucio answers with a Python dict repr; a JSON object is what Oxbow documents and its client reads.
    return reply.type('application/json').send({
      account: info.account,
      identity: info.identity,
      lifetime: rucioDate(info.expiresAt),
      authz_scope: null,
      audience: null,
      vo: 'def',
    });
  });
}
