/** `/auth/*`: userpass token issuing and token validation, with Rucio's headers. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { verifyUserpass } from '../catalog/accounts.js';
import type { AppContext } from '../context.js';
import { cannotAuthenticate } from '../errors.js';
import { rucioDate } from '../http/dates.js';
import { sendError } from '../http/errors.js';

const EXPOSE = 'X-Rucio-Auth-Token, X-Rucio-Auth-Token-Expires, X-Rucio-Auth-Account, X-Rucio-Auth-Accounts';

function authHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('Access-Control-Expose-Headers', EXPOSE)
    .header('Cache-Control', 'no-cache, no-store, max-age=0, must-revalidate')
    .header('Pragma', 'no-cache');
}

/** Registers `/auth/userpass` and `/auth/validate`. */
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
    if (!acc || acc.status !== 'ACTIVE') throw cannotAuthenticate(`Account ${chosen} is not active.`);
    const ip = (h['x-forwarded-for'] as string | undefined) ?? req.ip;
    const { token, expiresAt } = await ctx.tokens.issue(chosen!, username, 'userpass', ip);
    return reply
      .header('X-Rucio-Auth-Account', chosen)
      .header('X-Rucio-Auth-Token', token)
      .header('X-Rucio-Auth-Token-Expires', rucioDate(expiresAt))
      .type('application/octet-stream')
      .send('');
  });

  app.get('/auth/validate', { config: { public: true, produces } }, async (req, reply) => {
    authHeaders(reply);
    const token = req.headers['x-rucio-auth-token'] as string | undefined;
    if (!token) return sendError(reply, 400, 'ValueError', 'Token must be set.');
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
