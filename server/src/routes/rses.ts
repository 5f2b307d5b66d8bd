/** `/rses/*` routes (Rucio's rses.py): RSEs, attributes, protocols, lfns2pfns, usage, limits. */
import {
  AddProtocolBody,
  AddRseAttributeBody,
  AddRseBody,
  DeleteRseLimitBody,
  Lfns2PfnsQuery,
  ListRsesQuery,
  RseParams,
  RseUsageQuery,
  SetRseLimitBody,
  SetRseUsageBody,
  UpdateProtocolBody,
  UpdateRseBody,
} from '@oxbow/common';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { lfns2pfns } from '../catalog/replica-pfns.js';
import {
  addProtocol,
  deleteProtocols,
  protocolsOf,
  rseInfo,
  updateProtocols,
} from '../catalog/rse-protocols.js';
import * as space from '../catalog/rse-space.js';
import * as rses from '../catalog/rses.js';
import type { AppContext } from '../context.js';
import { invalidPath, invalidValue, rseProtocolNotSupported } from '../errors.js';
import { sendJsonStream } from '../http/json-stream.js';
import { perm } from '../permissions/policy.js';

const json = ['application/json'];
const stream = ['application/x-json-stream'];

const AttrParams = Type.Object({
  rse: Type.String({ minLength: 1, maxLength: 255 }),
  key: Type.String({ minLength: 1, maxLength: 255 }),
});
const SchemeParams = Type.Object({
  rse: Type.String({ minLength: 1, maxLength: 255 }),
  scheme: Type.String({ minLength: 1, maxLength: 255 }),
  hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
});
type SchemeParams = { rse: string; scheme: string; hostname?: string; port?: number };

/** Registers the rses routes. */
export async function rseRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.catalog.db;

  app.get(
    '/rses/',
    { schema: { querystring: ListRsesQuery }, config: { produces: stream } },
    async (req, reply) => {
      const { expression } = req.query as { expression?: string };
      if (expression) {
        const selected = await rses.resolveRseExpression(db, expression);
        return sendJsonStream(reply, selected, (r) => ({ rse: r.rse }));
      }
      return sendJsonStream(reply, await rses.listRseRecords(db), rses.rseRowDict);
    },
  );

  app.get('/rses/:rse', { schema: { params: RseParams }, config: { produces: json } }, async (req) =>
    rseInfo(db, (req.params as { rse: string }).rse),
  );

  app.post(
    '/rses/:rse',
    { schema: { params: RseParams, body: Type.Union([AddRseBody, Type.Null()]) } },
    async (req, reply) => {
      perm.addRse(req.caller);
      await rses.addRse(db, (req.params as { rse: string }).rse, (req.body as AddRseBody | null) ?? {});
      return reply.code(201).send('Created');
    },
  );

  // Rucio answers an update with 201 Created.
  app.put('/rses/:rse', { schema: { params: RseParams, body: UpdateRseBody } }, async (req, reply) => {
    perm.updateRse(req.caller);
    await rses.updateRse(db, (req.params as { rse: string }).rse, req.body as Record<string, unknown>);
    return reply.code(201).send('Created');
  });

  app.delete('/rses/:rse', { schema: { params: RseParams } }, async (req, reply) => {
    perm.deleteRse(req.caller);
    await rses.deleteRse(db, (req.params as { rse: string }).rse);
    return reply.code(200).send('');
  });

  app.get('/rses/:rse/attr/', { schema: { params: RseParams }, config: { produces: json } }, async (req) =>
    rses.listRseAttributes(db, (req.params as { rse: string }).rse),
  );
  app.post(
    '/rses/:rse/attr/:key',
    { schema: { params: AttrParams, body: AddRseAttributeBody } },
    async (req, reply) => {
      perm.addRseAttribute(req.caller);
      const { rse, key } = req.params as { rse: string; key: string };
      await rses.setRseAttribute(db, rse, key, (req.body as AddRseAttributeBody).value);
      return reply.code(201).send('Created');
    },
  );
  app.delete('/rses/:rse/attr/:key', { schema: { params: AttrParams } }, async (req, reply) => {
    perm.deleteRseAttribute(req.caller);
    const { rse, key } = req.params as { rse: string; key: string };
    await rses.deleteRseAttribute(db, rse, key);
    return reply.code(200).send('');
  });

  app.get(
    '/rses/:rse/protocols',
    { schema: { params: RseParams }, config: { produces: json } },
    async (req) => {
      const row = await rses.getRseRecord(db, (req.params as { rse: string }).rse);
      const list = await protocolsOf(db, row.id);
      if (list.length === 0) throw rseProtocolNotSupported(`No protocols found for RSE '${row.rse}'`);
      return list;
    },
  );
  app.post(
    '/rses/:rse/protocols/:scheme',
    { schema: { params: SchemeParams, body: AddProtocolBody } },
    async (req, reply) => {
      perm.addProtocol(req.caller);
      const { rse, scheme } = req.params as SchemeParams;
      const body = req.body as AddProtocolBody;
      if (body.scheme !== undefined && body.scheme !== scheme) {
        throw invalidValue(
          `The body's scheme '${body.scheme}' differs from the scheme '${scheme}' in the path.`,
        );
      }
      await addProtocol(db, rse, scheme, body as Record<string, unknown>);
      return reply.code(201).send('Created');
    },
  );
  // As Rucio: the answer is the whole rse_info, whatever the scheme.
  app.get(
    '/rses/:rse/protocols/:scheme',
    { schema: { params: SchemeParams }, config: { produces: json } },
    async (req) => rseInfo(db, (req.params as SchemeParams).rse),
  );
  for (const path of [
    '/rses/:rse/protocols/:scheme',
    '/rses/:rse/protocols/:scheme/:hostname',
    '/rses/:rse/protocols/:scheme/:hostname/:port',
  ]) {
    app.put(path, { schema: { params: SchemeParams, body: UpdateProtocolBody } }, async (req, reply) => {
      perm.updateProtocol(req.caller);
      const p = req.params as SchemeParams;
      await updateProtocols(db, p.rse, p, req.body as Record<string, unknown>);
      return reply.code(200).send('');
    });
    app.delete(path, { schema: { params: SchemeParams } }, async (req, reply) => {
      perm.deleteProtocol(req.caller);
      const p = req.params as SchemeParams;
      await deleteProtocols(db, p.rse, p);
      return reply.code(200).send('');
    });
  }

  app.get(
    '/rses/:rse/lfns2pfns',
    { schema: { params: RseParams, querystring: Lfns2PfnsQuery }, config: { produces: json } },
    async (req) => {
      const q = req.query as Lfns2PfnsQuery;
      const raw = [...(q.lfn ?? []), ...(q.lfns ?? [])];
      if (raw.length === 0)
        throw invalidPath("No LFN given: pass one or more 'lfn=scope:name' query parameters.");
      const bad = raw.filter((l) => l.indexOf(':') <= 0 || l.indexOf(':') === l.length - 1);
      if (bad.length > 0) throw invalidPath(`LFN(s) in invalid format (use scope:name): ${bad.join(', ')}`);
      const lfns = raw.map((l) => {
        const i = l.indexOf(':');
        return { scope: l.slice(0, i), name: l.slice(i + 1) };
      });
      return lfns2pfns(db, (req.params as { rse: string }).rse, lfns, {
        scheme: q.scheme,
        operation: q.operation ?? 'write',
        domain: q.domain ?? 'wan',
      });
    },
  );

  app.get(
    '/rses/:rse/usage',
    { schema: { params: RseParams, querystring: RseUsageQuery }, config: { produces: stream } },
    async (req, reply) =>
      sendJsonStream(
        reply,
        await space.rseUsage(
          db,
          (req.params as { rse: string }).rse,
          (req.query as { source?: string }).source,
        ),
      ),
  );
  // Rucio answers PUT/DELETE of usage and limits with 200 and an empty body.
  app.put(
    '/rses/:rse/usage',
    { schema: { params: RseParams, body: SetRseUsageBody } },
    async (req, reply) => {
      perm.setRseUsage(req.caller);
      await space.setRseUsage(db, (req.params as { rse: string }).rse, req.body as SetRseUsageBody);
      return reply.code(200).send('');
    },
  );

  app.get('/rses/:rse/limits', { schema: { params: RseParams }, config: { produces: json } }, async (req) =>
    space.rseLimits(db, (req.params as { rse: string }).rse),
  );
  app.put(
    '/rses/:rse/limits',
    { schema: { params: RseParams, body: SetRseLimitBody } },
    async (req, reply) => {
      perm.setRseLimit(req.caller);
      const b = req.body as SetRseLimitBody;
      await space.setRseLimit(db, (req.params as { rse: string }).rse, b.name, b.value);
      return reply.code(200).send('');
    },
  );
  app.delete(
    '/rses/:rse/limits',
    { schema: { params: RseParams, body: DeleteRseLimitBody } },
    async (req, reply) => {
      perm.setRseLimit(req.caller);
      await space.deleteRseLimit(
        db,
        (req.params as { rse: string }).rse,
        (req.body as DeleteRseLimitBody).name,
      );
      return reply.code(200).send('');
    },
  );
}
