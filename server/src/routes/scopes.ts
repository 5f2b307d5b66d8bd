/** `/scopes/*` and `/identities/*` (Rucio's scopes.py and identities.py). */
import { ScopeName } from '@oxbow/common';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { accountsForIdentity, addIdentity } from '../catalog/accounts.js';
import { addScope, listScopes, listScopesOf, listScopesWithOwner } from '../catalog/scopes.js';
import type { AppContext } from '../context.js';
import { invalidValue, scopeNotFound } from '../errors.js';
import { perm } from '../permissions/policy.js';

const json = ['application/json'];

/** Registers scope and identity routes. */
export async function scopeRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.catalog.db;
  app.get('/scopes/', { config: { produces: json } }, async () => listScopes(db));
  app.get('/scopes/owner/', { config: { produces: json } }, async () => listScopesWithOwner(db));
  app.get('/scopes/:account/scopes', { config: { produces: json } }, async (req) => {
    const { account } = req.params as { account: string };
    const scopes = await listScopesOf(db, account);
    if (scopes.length === 0) throw scopeNotFound(`no scopes found for account '${account}'`);
    return scopes;
  });
  app.post(
    '/scopes/:account/:scope',
    { schema: { params: Type.Object({ account: Type.String({ minLength: 1 }), scope: ScopeName }) } },
    async (req, reply) => {
      const { account, scope } = req.params as { account: string; scope: string };
      perm.addScope(req.caller, account);
      await addScope(db, scope, account);
      return reply.code(201).send('Created');
    },
  );

  app.put('/identities/:account/userpass', async (req, reply) => {
    perm.addIdentity(req.caller);
    const username = req.headers['x-rucio-username'] as string | undefined;
    const password = req.headers['x-rucio-password'] as string | undefined;
    const email = (req.headers['x-rucio-email'] as string | undefined) ?? null;
    if (!username || !password)
      throw invalidValue(
        'Username, Email and Password must be set (X-Rucio-Username, X-Rucio-Password, X-Rucio-Email headers).',
      );
    await addIdentity(db, {
      account: (req.params as { account: string }).account,
      identity: username,
      type: 'USERPASS',
      password,
      email,
    });
    return reply.code(201).send('Created');
  });
  app.get('/identities/:identity/:type/accounts', { config: { produces: json } }, async (req) => {
    const { identity, type } = req.params as { identity: string; type: string };
    return accountsForIdentity(db, identity, type);
  });
  app.get('/identities/accounts', { config: { produces: json } }, async (req) => {
    const q = req.query as { identity_key?: string; type?: string };
    if (!q.identity_key) throw invalidValue('identity_key parameter is required.');
    if (!q.type) throw invalidValue('type parameter is required.');
    return accountsForIdentity(db, q.identity_key, q.type);
  });
}
