/** `/rules/*` (Rucio's rules.py) and the rule sub-resources of `/dids/{scope}/{name}/`. */
import { AddRulesBody, type DeleteRuleBody, UpdateRuleBody } from '@oxbow/common';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { didNotFound } from '../errors.js';
import { sendJsonStream } from '../http/json-stream.js';
import { perm, requireRead } from '../permissions/policy.js';
import { addRules } from '../rules/add.js';
import { renderLock, renderRule } from '../rules/codes.js';
import {
  analyseRule,
  associatedRules,
  deleteRule,
  getRule,
  listLocks,
  listRules,
  rulesOfDid,
  updateRule,
} from '../rules/manage.js';
import { registerDidSubresource } from './dids.js';

const RuleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const json = ['application/json'];
const stream = ['application/x-json-stream'];

/** Registers the rule routes. */
export async function ruleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.catalog.db;
  const maxParams = ctx.catalog.maxParams;

  app.post('/rules/', { schema: { body: AddRulesBody } }, async (req, reply) => {
    const body = req.body as AddRulesBody;
    const account = body.account ?? req.caller.account;
    perm.addRule(req.caller, account);
    for (const d of body.dids) requireRead(req.caller, d.scope, d.name);
    const ids = await addRules(db, body, { account, maxParams });
    return reply.code(201).type('application/json').send(JSON.stringify(ids));
  });

  app.get('/rules/', { config: { produces: stream } }, async (req, reply) =>
    sendJsonStream(reply, listRules(db, req.query as Record<string, string>), renderRule),
  );

  app.get('/rules/:id', { schema: { params: RuleParams }, config: { produces: json } }, async (req) =>
    renderRule(await getRule(db, (req.params as { id: string }).id)),
  );

  app.put('/rules/:id', { schema: { params: RuleParams, body: UpdateRuleBody } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const rule = await getRule(db, id);
    perm.updateRule(req.caller, rule.account);
    await updateRule(db, id, (req.body as UpdateRuleBody).options, req.caller.isAdmin);
    return reply.code(200).send('');
  });

  app.delete('/rules/:id', { schema: { params: RuleParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = (req.body ?? {}) as DeleteRuleBody;
    if (typeof body !== 'object' || Array.isArray(body))
      return reply
        .code(400)
        .send({ ExceptionClass: 'InputValidationError', ExceptionMessage: 'body must be a JSON object' });
    const rule = await getRule(db, id);
    perm.deleteRule(req.caller, rule.account);
    await deleteRule(db, id, { purgeReplicas: body.purge_replicas, maxParams });
    return reply.code(200).send('');
  });

  app.get(
    '/rules/:id/locks',
    { schema: { params: RuleParams }, config: { produces: stream } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      await getRule(db, id);
      return sendJsonStream(reply, listLocks(db, id), renderLock);
    },
  );

  app.get(
    '/rules/:id/analysis',
    { schema: { params: RuleParams }, config: { produces: json } },
    async (req) => analyseRule(db, (req.params as { id: string }).id),
  );

  registerDidSubresource('GET', 'rules', async (req, reply, did) => {
    requireRead(req.caller, did.scope, did.name);
    const exists = await db
      .selectFrom('dids')
      .select('did_type')
      .where('scope', '=', did.scope)
      .where('name', '=', did.name)
      .executeTakeFirst();
    if (!exists) throw didNotFound(`Data identifier '${did.scope}:${did.name}' not found`);
    return sendJsonStream(reply, rulesOfDid(db, did.scope, did.name), renderRule);
  });
  registerDidSubresource('GET', 'associated_rules', async (req, reply, did) => {
    requireRead(req.caller, did.scope, did.name);
    const rows = await associatedRules(db, did.scope, did.name);
    return sendJsonStream(
      reply,
      (async function* () {
        yield* rows;
      })(),
      renderRule,
    );
  });
}
