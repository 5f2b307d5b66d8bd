/** `/requests/transfer_limits` (Rucio's requests.py): limits on active transfers per RSE expression and activity. */
import { DeleteTransferLimitBody, SetTransferLimitBody } from '@oxbow/common';
import type { FastifyInstance } from 'fastify';
import * as limits from '../catalog/transfer-limits.js';
import type { AppContext } from '../context.js';
import { sendJsonStream } from '../http/json-stream.js';
import { perm } from '../permissions/policy.js';

/** Registers the transfer-limit routes. */
export async function requestRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.catalog.db;
  app.get(
    '/requests/transfer_limits',
    { config: { produces: ['application/x-json-stream'] } },
    async (_req, reply) => sendJsonStream(reply, await limits.listTransferLimits(db)),
  );
  // Rucio answers a set with 201 and an empty body, a delete with 200.
  app.put('/requests/transfer_limits', { schema: { body: SetTransferLimitBody } }, async (req, reply) => {
    perm.setTransferLimit(req.caller);
    await limits.setTransferLimit(db, req.body as SetTransferLimitBody);
    return reply.code(201).send('');
  });
  app.delete(
    '/requests/transfer_limits',
    { schema: { body: DeleteTransferLimitBody } },
    async (req, reply) => {
      perm.setTransferLimit(req.caller);
      await limits.deleteTransferLimit(db, req.body as DeleteTransferLimitBody);
      return reply.code(200).send('');
    },
  );
}
