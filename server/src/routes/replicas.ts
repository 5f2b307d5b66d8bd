/** `/replicas/*` routes (Rucio's replicas.py): register, update, delete and list file replicas. */
import { Readable } from 'node:stream';
import {
  AddReplicasBody,
  DeleteReplicasBody,
  ListReplicasBody,
  TombstoneBody,
  UpdateReplicasBody,
} from '@oxbow/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ListReplicasOptions,
  listReplicaJsonLines,
  listReplicas,
  metalink,
} from '../catalog/replica-list.js';
import {
  addReplicas,
  deleteReplicas,
  listDatasetReplicas,
  type ReplicaStateChange,
  setTombstones,
  updateReplicaStates,
} from '../catalog/replicas.js';
import type { AppContext } from '../context.js';
import { invalidObject, invalidValue } from '../errors.js';
import { parseScopeName, rawPathAfter } from '../http/did-path.js';
import { sendJsonLines, sendJsonStream } from '../http/json-stream.js';
import { perm, requireReplicaWrite } from '../permissions/policy.js';

const JSON_STREAM = 'application/x-json-stream';
const METALINK = 'application/metalink4+xml';
const listing = [JSON_STREAM, METALINK];
const FLUSH = 64 * 1024;

/** Rucio's best_match between json-stream and metalink: metalink only when the Accept header prefers it. */
export function wantsMetalink(accept: string | undefined): boolean {
  if (!accept) return false;
  let best = { type: JSON_STREAM, q: -1 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    const r = range.trim().toLowerCase();
    const type =
      r === METALINK
        ? METALINK
        : r === JSON_STREAM || r === '*/*' || r === 'application/*'
          ? JSON_STREAM
          : '';
    if (type && q > best.q) best = { type, q };
  }
  return best.type === METALINK;
}

/** Streams text chunks (batched to ~64 kB); the first chunk is pulled before headers so errors stay 4xx. */
async function sendText(reply: FastifyReply, chunks: AsyncIterable<string>, contentType: string) {
  async function* batched() {
    let buf = '';
    for await (const c of chunks) {
      buf += c;
      if (buf.length >= FLUSH) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  const it = batched()[Symbol.asyncIterator]();
  const first = await it.next();
  reply.header('Content-Type', contentType);
  if (first.done) return reply.send('');
  async function* rest() {
    yield first.value as string;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  return reply.send(Readable.from(rest(), { objectMode: false }));
}

/** `updated_after` as Rucio takes it: epoch seconds or '%Y-%m-%dT%H:%M:%S' (UTC). */
function updatedAfter(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string' && typeof v !== 'number')
    throw invalidValue(
      `updated_after must be epoch seconds or '%Y-%m-%dT%H:%M:%S' (UTC), got ${JSON.stringify(v)}.`,
    );
  if (typeof v === 'number') return new Date(v * 1000).toISOString();
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(v))
    throw invalidValue(`updated_after '${v}' must be epoch seconds or '%Y-%m-%dT%H:%M:%S' (UTC).`);
  const d = new Date(`${v}Z`);
  if (Number.isNaN(d.getTime())) throw invalidValue(`updated_after '${v}' is not a valid date.`);
  return d.toISOString();
}

function sendListing(
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  o: ListReplicasOptions,
  getRoute: boolean,
) {
  const asMetalink = wantsMetalink(req.headers.accept);
  const opts = { ...o, allSchemes: asMetalink && !o.schemes?.length };
  if (asMetalink)
    return sendText(
      reply,
      metalink(listReplicas(ctx.catalog, opts), getRoute ? 'atlas' : 'generic', !getRoute),
      METALINK,
    );
  // One string per batch of files: batches are never empty, so no blank line appears.
  return sendJsonLines(reply, listReplicaJsonLines(ctx.catalog, opts), (lines) => lines);
}

/** Registers the replicas routes. */
export async function replicaRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.catalog.db;

  app.post('/replicas', { schema: { body: AddReplicasBody } }, async (req, reply) => {
    const body = req.body as AddReplicasBody;
    await requireReplicaWrite(
      db,
      req.caller,
      body.files.map((f) => f.scope),
      `add file replicas on ${body.rse}`,
    );
    await addReplicas(db, body.rse, body.files, {
      account: req.caller.account,
      ignoreAvailability: Boolean(body.ignore_availability) && perm.skipAvailabilityCheck(req.caller),
      maxParams: ctx.catalog.maxParams,
    });
    return reply.code(201).send('Created');
  });

  app.put('/replicas', { schema: { body: UpdateReplicasBody } }, async (req, reply) => {
    const body = req.body as UpdateReplicasBody;
    const changes: ReplicaStateChange[] = [...(body.files ?? []), ...(body.replicas ?? [])].map((f, i) => {
      const rse = f.rse ?? body.rse;
      if (!rse)
        throw invalidObject(
          `Replica ${i} (${f.scope}:${f.name}) names no RSE: give 'rse' in the body or in the replica.`,
        );
      return { rse, scope: f.scope, name: f.name, state: f.state, path: f.path };
    });
    // Rucio lets only admins change states; Oxbow also lets scope owners finish their own uploads.
    if (!req.caller.isAdmin) {
      await requireReplicaWrite(
        db,
        req.caller,
        changes.map((c) => c.scope),
        'update replica states',
      );
    }
    await updateReplicaStates(db, changes);
    return reply.code(200).send('');
  });

  app.delete('/replicas', { schema: { body: DeleteReplicasBody } }, async (req, reply) => {
    perm.deleteReplicas(req.caller);
    const body = req.body as DeleteReplicasBody;
    await deleteReplicas(db, body.rse, body.files, {
      ignoreAvailability: Boolean(body.ignore_availability) && perm.skipAvailabilityCheck(req.caller),
      maxParams: ctx.catalog.maxParams,
    });
    return reply.code(200).send('');
  });

  app.post(
    '/replicas/list',
    { schema: { body: ListReplicasBody }, config: { produces: listing } },
    async (req, reply) => {
      const b = req.body as ListReplicasBody;
      const q = req.query as Record<string, string | undefined>;
      const site = b.client_location?.site;
      return sendListing(
        req,
        reply,
        ctx,
        {
          dids: b.dids,
          schemes: b.schemes ?? null,
          rseExpression: b.rse_expression ?? null,
          unavailable: b.unavailable ?? false,
          allStates: b.all_states ?? false,
          // Rucio's view defaults ignore_availability to whether 'unavailable' was sent.
          ignoreAvailability: b.ignore_availability ?? 'unavailable' in b,
          domain: b.domain ?? null,
          clientSite: typeof site === 'string' ? site : null,
          sort: q.sort ?? q.select ?? b.sort ?? null,
          resolveParents: b.resolve_parents ?? false,
          nrandom: b.nrandom ?? null,
          updatedAfter: updatedAfter(b.updated_after),
          limit: q.limit ? Number.parseInt(q.limit, 10) || null : null,
        },
        false,
      );
    },
  );

  app.post('/replicas/tombstone', { schema: { body: TombstoneBody } }, async (req, reply) => {
    perm.setTombstone(req.caller);
    await setTombstones(db, (req.body as TombstoneBody).replicas);
    return reply.code(201).send('Created');
  });

  // DID names may contain '/': the DID is read from the raw path (`/replicas/{scope}/{name}[/datasets]`).
  app.get('/replicas/*', { config: { produces: listing } }, async (req, reply) => {
    const { scope, name, suffix } = parseScopeName(rawPathAfter(req.url, '/replicas/'), ['datasets']);
    const q = req.query as Record<string, string | undefined>;
    if (suffix === 'datasets') return sendJsonStream(reply, await listDatasetReplicas(db, scope, name));
    return sendListing(
      req,
      reply,
      ctx,
      {
        dids: [{ scope, name }],
        schemes: q.schemes ? q.schemes.split(',') : null,
        ignoreAvailability: true,
        sort: q.select ?? null,
        limit: q.limit ? Number.parseInt(q.limit, 10) || null : null,
      },
      true,
    );
  });
}
