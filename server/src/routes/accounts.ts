/** `/accounts/*`: accounts, attributes, scopes, identities, usage and limits (Rucio's accounts.py). */
import {
  AccountIdentityBody,
  AccountLimitBody,
  AccountName,
  AddAccountAttributeBody,
  AddAccountBody,
  ScopeName,
  UpdateAccountBody,
} from '@oxbow/common';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import * as accounts from '../catalog/accounts.js';
import { addScope, listScopesOf } from '../catalog/scopes.js';
import { accountLimits, accountUsage, deleteAccountLimit, setAccountLimit } from '../catalog/usage.js';
import type { AppContext } from '../context.js';
import { scopeNotFound } from '../errors.js';
import { isoSeconds } from '../http/dates.js';
import { sendJsonStream } from '../http/json-stream.js';
import { perm } from '../permissions/policy.js';

const AccountParams = Type.Object({ account: Type.String({ minLength: 1, maxLength: 255 }) });
const json = ['application/json'];
const stream = ['application/x-json-stream'];

/** Registers the account routes. */
export async function accountRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.catalog.db;

  app.get('/accounts/', { config: { produces: stream } }, async (req, reply) =>
    sendJsonStream(reply, accounts.listAccounts(db, req.query as Record<string, string>)),
  );

  app.get(
    '/accounts/:account',
    { schema: { params: AccountParams }, config: { produces: json } },
    async (req, reply) => {
      const { account } = req.params as { account: string };
      // Relative redirect, as Rucio: the client resolves it to /accounts/<caller>.
      if (account === 'whoami') return reply.code(303).header('Location', req.caller.account).send('');
      const row = await accounts.getAccount(db, account);
      return reply.type('application/json').send({
        account: row.account,
        account_type: row.account_type,
        status: row.status,
        email: row.email,
        created_at: isoSeconds(row.created_at),
        updated_at: isoSeconds(row.updated_at),
        suspended_at: isoSeconds(row.suspended_at),
        deleted_at: isoSeconds(row.deleted_at),
      });
    },
  );

  app.post(
    '/accounts/:account',
    { schema: { params: Type.Object({ account: AccountName }), body: AddAccountBody } },
    async (req, reply) => {
      perm.addAccount(req.caller);
      const { account } = req.params as { account: string };
      const body = req.body as AddAccountBody;
      await accounts.addAccount(db, account, body.type, body.email ?? null);
      return reply.code(201).send('Created');
    },
  );

  app.put(
    '/accounts/:account',
    { schema: { params: AccountParams, body: UpdateAccountBody } },
    async (req, reply) => {
      perm.updateAccount(req.caller);
      const { account } = req.params as { account: string };
      for (const [key, value] of Object.entries(req.body as Record<string, string>)) {
        await accounts.updateAccount(db, account, key, value);
      }
      return reply.code(200).send('');
    },
  );

  app.delete('/accounts/:account', { schema: { params: AccountParams } }, async (req, reply) => {
    perm.deleteAccount(req.caller);
    await accounts.deleteAccount(db, (req.params as { account: string }).account);
    return reply.code(200).send('');
  });

  app.get(
    '/accounts/:account/attr/',
    { schema: { params: AccountParams }, config: { produces: json } },
    async (req) => accounts.listAccountAttributes(db, (req.params as { account: string }).account),
  );

  const AttrParams = Type.Object({
    account: Type.String({ minLength: 1 }),
    key: Type.String({ minLength: 1, maxLength: 255 }),
  });
  app.post(
    '/accounts/:account/attr/:key',
    { schema: { params: AttrParams, body: AddAccountAttributeBody } },
    async (req, reply) => {
      perm.addAttribute(req.caller);
      const { account, key } = req.params as { account: string; key: string };
      await accounts.addAccountAttribute(db, account, key, (req.body as { value: unknown }).value);
      return reply.code(201).send('Created');
    },
  );
  app.delete('/accounts/:account/attr/:key', { schema: { params: AttrParams } }, async (req, reply) => {
    perm.deleteAttribute(req.caller);
    const { account, key } = req.params as { account: string; key: string };
    await accounts.deleteAccountAttribute(db, account, key);
    return reply.code(200).send('');
  });

  app.get(
    '/accounts/:account/scopes/',
    { schema: { params: AccountParams }, config: { produces: json } },
    async (req) => {
      const { account } = req.params as { account: string };
      const scopes = await listScopesOf(db, account);
      if (scopes.length === 0) throw scopeNotFound(`no scopes found for account ID '${account}'`);
      return scopes;
    },
  );
  app.post(
    '/accounts/:account/scopes/:scope',
    { schema: { params: Type.Object({ account: Type.String({ minLength: 1 }), scope: ScopeName }) } },
    async (req, reply) => {
      const { account, scope } = req.params as { account: string; scope: string };
      perm.addScope(req.caller, account);
      await addScope(db, scope, account);
      return reply.code(201).send('Created');
    },
  );

  app.get(
    '/accounts/:account/identities',
    { schema: { params: AccountParams }, config: { produces: stream } },
    async (req, reply) =>
      sendJsonStream(reply, await accounts.listIdentities(db, (req.params as { account: string }).account)),
  );
  app.post(
    '/accounts/:account/identities',
    { schema: { params: AccountParams, body: AccountIdentityBody } },
    async (req, reply) => {
      perm.addIdentity(req.caller);
      const b = req.body as AccountIdentityBody;
      await accounts.addIdentity(db, {
        account: (req.params as { account: string }).account,
        identity: b.identity,
        type: b.authtype,
        email: b.email ?? null,
        password: b.password ?? null,
        isDefault: b.default ?? false,
      });
      return reply.code(201).send('Created');
    },
  );
  app.delete(
    '/accounts/:account/identities',
    { schema: { params: AccountParams, body: AccountIdentityBody } },
    async (req, reply) => {
      perm.deleteIdentity(req.caller);
      const b = req.body as AccountIdentityBody;
      await accounts.deleteIdentity(db, (req.params as { account: string }).account, b.identity, b.authtype);
      return reply.code(200).send('');
    },
  );

  const usage = async (account: string, rse?: string) => accountUsage(db, account, rse);
  for (const path of ['/accounts/:account/usage', '/accounts/:account/usage/local']) {
    app.get(path, { schema: { params: AccountParams }, config: { produces: stream } }, async (req, reply) =>
      sendJsonStream(reply, await usage((req.params as { account: string }).account)),
    );
  }
  for (const path of ['/accounts/:account/usage/local/:rse', '/accounts/:account/usage/:rse']) {
    app.get(path, { config: { produces: stream } }, async (req, reply) => {
      const p = req.params as { account: string; rse: string };
      return sendJsonStream(reply, await usage(p.account, p.rse));
    });
  }

  for (const path of ['/accounts/:account/limits', '/accounts/:account/limits/local']) {
    app.get(path, { schema: { params: AccountParams }, config: { produces: json } }, async (req) =>
      accountLimits(db, (req.params as { account: string }).account),
    );
  }
  for (const path of ['/accounts/:account/limits/local/:rse', '/accounts/:account/limits/:rse']) {
    app.get(path, { config: { produces: json } }, async (req) => {
      const p = req.params as { account: string; rse: string };
      return accountLimits(db, p.account, p.rse);
    });
  }
  const LimitParams = Type.Object({
    account: Type.String({ minLength: 1 }),
    rse: Type.String({ minLength: 1 }),
  });
  app.post(
    '/accounts/:account/limits/local/:rse',
    { schema: { params: LimitParams, body: AccountLimitBody } },
    async (req, reply) => {
      perm.setLimit(req.caller);
      const p = req.params as { account: string; rse: string };
      await setAccountLimit(db, p.account, p.rse, (req.body as { bytes: number }).bytes);
      return reply.code(201).send('Created');
    },
  );
  app.delete(
    '/accounts/:account/limits/local/:rse',
    { schema: { params: LimitParams } },
    async (req, reply) => {
      perm.setLimit(req.caller);
      const p = req.params as { account: string; rse: string };
      await deleteAccountLimit(db, p.account, p.rse);
      return reply.code(200).send('');
    },
  );
}
