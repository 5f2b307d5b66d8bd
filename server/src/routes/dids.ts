/**
 * `/dids/*` routes (Rucio's dids.py). DID names may contain '/', so everything addressed by
 * `{scope}/{name}[/{resource}]` goes through one wildcard route per method that splits the raw
 * path (as Rucio's parse_scope_name) and validates its body with the shared TypeBox schemas.
 * Static and parametric routes (bulk calls, search, scope listing, GUID lookup) take precedence.
 */
import {
  AddDidBody,
  AttachBody,
  AttachmentsBody,
  type BulkAddDid,
  BulkAddDidsBody,
  BulkFilesBody,
  DetachBody,
  GetDidsMetaBody,
  SearchDidsQuery,
  SetDidsMetaBody,
  SetMetaBody,
  SetMetaBulkBody,
  SetStatusBody,
} from '@oxbow/common';
import { didFilterDictsFromQuery, normalizeDidFilters } from '@oxbow/common/rucio/index';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addDids } from '../catalog/did-add.js';
import {
  type AttachOptions,
  type AttachRequest,
  attachDids,
  checkAttachTargets,
  detachDids,
} from '../catalog/did-attach.js';
import {
  bulkListFiles,
  datasetsByGuid,
  listContent,
  listFiles,
  listParents,
  scopeList,
} from '../catalog/did-lists.js';
import {
  deleteMetadata,
  getMetadata,
  getMetadataBulk,
  setDidsMetadata,
  setMetadata,
} from '../catalog/did-meta.js';
import { parseLimit, searchDids, serverError } from '../catalog/did-search.js';
import { checkDid, type Db, dynamicDepthOf, getDid, getDidRow, setStatus } from '../catalog/dids.js';
import { addReplicas, type ReplicaFile } from '../catalog/replicas.js';
import { checkScopeName } from '../catalog/scopes.js';
import type { AppContext, Caller } from '../context.js';
import {
  dataIdentifierAlreadyExists,
  inputValidationError,
  invalidValue,
  keyNotFound,
  routeNotFound,
  unsupportedContentType,
} from '../errors.js';
import { acceptable } from '../http/accept.js';
import { decodeSegment, parseScopeName, rawPathAfter } from '../http/did-path.js';
import { sendJsonStream } from '../http/json-stream.js';
import { perm, requireRead, requireReplicaWrite, requireScopeWrite } from '../permissions/policy.js';

const JSON_TYPE = 'application/json';
const STREAM_TYPE = 'application/x-json-stream';
const json = [JSON_TYPE];
const stream = [STREAM_TYPE];

/** Sub-resources of `/dids/{scope}/{name}/…`, longest first so `dids/history` wins over `dids`. */
const SUFFIXES = [
  'dids/history',
  'associated_rules',
  'parents',
  'status',
  'follow',
  'files',
  'rules',
  'dids',
  'meta',
];

/** A handler for `{METHOD} /dids/{scope}/{name}/{suffix}` added by another module (e.g. rules). */
export type DidSubresourceHandler = (
  req: FastifyRequest,
  reply: FastifyReply,
  did: { scope: string; name: string },
) => Promise<unknown>;

const subresources = new Map<string, DidSubresourceHandler>();

/**
 * Lets another resource module answer `/dids/{scope}/{name}/{suffix}` (the wildcard cannot be
 * shared): e.g. the rules module registers `GET rules` and `GET associated_rules`.
 */
export function registerDidSubresource(method: string, suffix: string, handler: DidSubresourceHandler): void {
  subresources.set(`${method.toUpperCase()} ${suffix}`, handler);
}

const checkers = new Map<TSchema, TypeCheck<TSchema>>();

/** Validates a body against a shared schema, with a message naming the first problems. */
function validated<T extends TSchema>(schema: T, value: unknown): Static<T> {
  let check = checkers.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    checkers.set(schema, check);
  }
  if (value === undefined)
    throw invalidValue('cannot decode json parameter: the body is empty; send a JSON object.');
  if (check.Check(value)) return value as Static<T>;
  const problems = [...check.Errors(value)].slice(0, 5).map((e) => {
    const where = e.path ? e.path.replace(/^\//, '').replace(/\//g, '.') : 'body';
    return `${where}: ${e.message}`;
  });
  throw inputValidationError(`Invalid body: ${problems.join('; ')}`);
}

/** Rucio's param_get_bool for query strings and bodies. */
function boolParam(v: unknown, dflt = false): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', '1', 'yes', 'y', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'n', 'off', ''].includes(s)) return false;
  throw invalidValue(`'${String(v)}' is not a boolean; use True or False.`);
}

/** Throws 406 unless the Accept header admits `type`. */
function requireAccept(req: FastifyRequest, type: string): void {
  if (!acceptable(req.headers.accept, [type]))
    throw unsupportedContentType(
      `The requested content type ${req.headers.accept} is not supported. Use ${type}.`,
    );
}

/** Raw query string of a request (undecoded), for parsers that need Python-style `+` handling. */
function rawQuery(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** Registers the dids routes. */
export async function didRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.catalog.db;
  const maxParams = ctx.catalog.maxParams;
  const dialect = ctx.catalog.dialect;
  const attachOpts = (caller: Caller, ignoreDuplicate: boolean): AttachOptions => ({
    ignoreDuplicate,
    account: caller.account,
    maxParams,
    dialect,
  });
  /** Write permission on each scope (for one DID, its name too: tokens may be limited to paths). */
  const scopeWrite = async (caller: Caller, scopes: Iterable<string>, what: string, name?: string) => {
    for (const s of new Set(scopes)) {
      checkScopeName(s);
      await requireScopeWrite(db, caller, s, what, name === undefined ? undefined : [name]);
    }
  };

  /** Files of an attachment as replicas to register (Rucio's attach with `rse`). */
  const replicaFiles = (dids: AttachRequest['dids']): ReplicaFile[] =>
    dids.map((d) => ({
      scope: d.scope,
      name: d.name,
      bytes: d.bytes as number,
      adler32: d.adler32 ?? null,
      md5: d.md5 ?? null,
      ...(typeof d.pfn === 'string' ? { pfn: d.pfn } : {}),
      ...(typeof d.state === 'string' ? { state: d.state } : {}),
      ...(d.meta && typeof d.meta === 'object' ? { meta: d.meta as Record<string, unknown> } : {}),
    }));

  /**
   * Registers the replicas of attachments that name an RSE inside the attach transaction `trx`, so a
   * failing attach registers nothing. Targets are checked first so the error is the attach's own.
   */
  const registerReplicas = async (trx: Db, caller: Caller, attachments: AttachRequest[]) => {
    const withRse = attachments.filter((a) => a.rse);
    if (withRse.length === 0) return;
    await checkAttachTargets(trx, withRse);
    for (const a of withRse) {
      await requireReplicaWrite(
        trx,
        caller,
        a.dids.map((d) => d.scope),
        `add file replicas on ${a.rse}`,
      );
      await addReplicas(trx, a.rse as string, replicaFiles(a.dids), {
        account: caller.account,
        ignoreAvailability: false,
        maxParams,
      });
    }
  };

  /** Rucio's attach_dids_to_dids, with the replicas of `rse` attachments, in one transaction. */
  const attachAll = (caller: Caller, attachments: AttachRequest[], ignore: boolean) =>
    db.transaction().execute(async (trx) => {
      await registerReplicas(trx, caller, attachments);
      return attachDids(trx, attachments, attachOpts(caller, ignore));
    });

  // ---- static and parametric routes ------------------------------------------------------------

  app.post(
    '/dids',
    { schema: { body: BulkAddDidsBody, summary: 'Add DIDs in bulk (one transaction)' } },
    async (req, reply) => {
      const items = req.body as BulkAddDid[];
      await scopeWrite(
        req.caller,
        items.map((i) => i.scope),
        'add data identifier',
      );
      await addDids(db, items, req.caller.account, { account: req.caller.account, maxParams, dialect });
      return reply.code(201).send('Created');
    },
  );

  app.post(
    '/dids/attachments',
    { schema: { body: AttachmentsBody, summary: 'Attach DIDs to several collections (one transaction)' } },
    async (req, reply) => {
      const body = req.body as Static<typeof AttachmentsBody>;
      const attachments = Array.isArray(body) ? body : body.attachments;
      const ignore = Array.isArray(body) ? false : (body.ignore_duplicate ?? false);
      await scopeWrite(
        req.caller,
        attachments.map((a) => a.scope),
        'attach data identifiers',
      );
      await attachAll(req.caller, attachments as AttachRequest[], ignore);
      return reply.code(201).send('Created');
    },
  );

  app.post(
    '/dids/bulkmeta',
    { schema: { body: GetDidsMetaBody, summary: 'Metadata of several DIDs' }, config: { produces: stream } },
    async (req, reply) => {
      const b = req.body as Static<typeof GetDidsMetaBody>;
      for (const d of b.dids) requireRead(req.caller, d.scope, d.name);
      return sendJsonStream(
        reply,
        getMetadataBulk(db, b.dids, { inherit: b.inherit ?? false, plugin: b.plugin }),
      );
    },
  );

  app.post(
    '/dids/bulkdidsmeta',
    { schema: { body: SetDidsMetaBody, summary: 'Set metadata of several DIDs (one transaction)' } },
    async (req, reply) => {
      const b = req.body as Static<typeof SetDidsMetaBody>;
      for (const d of b.dids) checkDid(d.scope, d.name);
      await scopeWrite(
        req.caller,
        b.dids.map((d) => d.scope),
        'set metadata',
      );
      await setDidsMetadata(db, b.dids, {
        recursive: b.recursive ?? false,
        account: req.caller.account,
        maxParams,
      });
      return reply.code(201).send('Created');
    },
  );

  app.post(
    '/dids/bulkfiles',
    { schema: { body: BulkFilesBody, summary: 'Files of several DIDs' }, config: { produces: stream } },
    async (req, reply) => {
      const dids = (req.body as Static<typeof BulkFilesBody>).dids;
      for (const d of dids) requireRead(req.caller, d.scope, d.name);
      return sendJsonStream(reply, bulkListFiles(db, dids));
    },
  );

  app.get(
    '/dids/:scope/dids/search',
    {
      schema: {
        params: Type.Object({ scope: Type.String({ minLength: 1, maxLength: 255 }) }),
        querystring: SearchDidsQuery,
        summary: 'Search DIDs of a scope by name and metadata',
      },
      config: { produces: stream },
    },
    async (req, reply) => {
      const { scope } = req.params as { scope: string };
      requireRead(req.caller, scope);
      const query = rawQuery(req.url);
      let filter: ReturnType<typeof normalizeDidFilters>;
      try {
        filter = normalizeDidFilters(didFilterDictsFromQuery(query));
      } catch (e) {
        throw serverError(e);
      }
      const hits = searchDids(db, scope, {
        dialect: ctx.catalog.dialect,
        filter,
        type: query.get('type') ?? 'collection',
        long: boolParam(query.get('long') ?? undefined),
        recursive: boolParam(query.get('recursive') ?? undefined),
        limit: parseLimit(query.get('limit') ?? undefined),
      });
      return sendJsonStream(reply, hits);
    },
  );

  app.get(
    '/dids/:scope',
    {
      schema: {
        params: Type.Object({ scope: Type.String({ minLength: 1, maxLength: 255 }) }),
        querystring: Type.Object({
          name: Type.Optional(Type.String()),
          recursive: Type.Optional(Type.String()),
        }),
        summary: 'DIDs of a scope (top level) or the content of one DID',
      },
      config: { produces: stream },
    },
    async (req, reply) => {
      const { scope } = req.params as { scope: string };
      const q = req.query as { name?: string; recursive?: string };
      requireRead(req.caller, scope, q.name);
      return sendJsonStream(reply, scopeList(db, scope, q.name, boolParam(q.recursive)));
    },
  );

  app.get(
    '/dids/:guid/guid',
    {
      schema: {
        params: Type.Object({ guid: Type.String({ minLength: 1, maxLength: 64 }) }),
        summary: 'Datasets holding the file with this GUID',
      },
      config: { produces: stream },
    },
    async (req, reply) => sendJsonStream(reply, datasetsByGuid(db, (req.params as { guid: string }).guid)),
  );

  // ---- /dids/{scope}/{name}[/{resource}] ---------------------------------------------------------

  const describe =
    'DID resources: {scope}/{name} (GET, POST), …/status (GET, PUT), …/dids (GET, POST, DELETE), …/files, …/parents, …/meta (GET, POST, DELETE ?key=), …/meta/{key} (POST), …/rules. The name may contain "/" (send it as %2F or plain).';

  const parse = (req: FastifyRequest) => {
    const raw = rawPathAfter(req.url, '/dids/');
    const did = parseScopeName(raw, SUFFIXES);
    checkDid(did.scope, did.name);
    return did;
  };

  const fromHook = async (
    method: string,
    req: FastifyRequest,
    reply: FastifyReply,
    d: { scope: string; name: string; suffix: string },
  ) => {
    const hook = subresources.get(`${method} ${d.suffix}`);
    return hook ? { handled: true, value: await hook(req, reply, d) } : { handled: false, value: undefined };
  };

  const notHere = (method: string, suffix: string) =>
    routeNotFound(`No endpoint ${method} /dids/{scope}/{name}/${suffix} on this server.`);

  app.get(
    '/dids/*',
    {
      schema: { summary: 'Read a DID or one of its resources', description: describe },
      config: { produces: [...json, ...stream] },
    },
    async (req, reply) => {
      const d = parse(req);
      requireRead(req.caller, d.scope, d.name);
      const hooked = await fromHook('GET', req, reply, d);
      if (hooked.handled) return hooked.value;
      const query = req.query as Record<string, unknown>;
      switch (d.suffix) {
        case '':
        case 'status':
          requireAccept(req, JSON_TYPE);
          return reply.type(JSON_TYPE).send(await getDid(db, d.scope, d.name, dynamicDepthOf(query)));
        case 'meta': {
          requireAccept(req, JSON_TYPE);
          const plugin = typeof query.plugin === 'string' ? query.plugin : undefined;
          return reply.type(JSON_TYPE).send(await getMetadata(db, d.scope, d.name, plugin));
        }
        case 'dids':
          requireAccept(req, STREAM_TYPE);
          return sendJsonStream(reply, listContent(db, d.scope, d.name));
        case 'files':
          requireAccept(req, STREAM_TYPE);
          return sendJsonStream(reply, listFiles(db, d.scope, d.name, 'long' in query));
        case 'parents':
          requireAccept(req, STREAM_TYPE);
          return sendJsonStream(reply, listParents(db, d.scope, d.name));
        case 'rules':
        case 'associated_rules':
          // No replication rules exist until the rules engine registers its own handler.
          requireAccept(req, STREAM_TYPE);
          await getDidRow(db, d.scope, d.name);
          return sendJsonStream(reply, []);
        default:
          throw notHere('GET', d.suffix);
      }
    },
  );

  app.post(
    '/dids/*',
    { schema: { summary: 'Add a DID, attach content or set metadata', description: describe } },
    async (req, reply) => {
      const raw = rawPathAfter(req.url, '/dids/');
      // `…/meta/{key}`: set one key (the key is the last segment).
      const metaKey = /^(.+\/.+)\/meta\/([^/]+)$/.exec(raw);
      if (metaKey) {
        const d = parseScopeName(metaKey[1]!, []);
        checkDid(d.scope, d.name);
        const key = decodeSegment(metaKey[2]!);
        const b = validated(SetMetaBody, req.body);
        await scopeWrite(req.caller, [d.scope], 'set metadata', d.name);
        await setMetadata(
          db,
          d.scope,
          d.name,
          { [key]: b.value },
          {
            recursive: boolParam(b.recursive),
            account: req.caller.account,
            maxParams,
          },
        );
        return reply.code(201).send('Created');
      }
      const d = parse(req);
      const hooked = await fromHook('POST', req, reply, d);
      if (hooked.handled) return hooked.value;
      switch (d.suffix) {
        case '': {
          const b = validated(AddDidBody, req.body);
          await scopeWrite(req.caller, [d.scope], 'add data identifier', d.name);
          if (b.rse && b.dids?.length) {
            // Rucio's add_dataset(…, files, rse): replicas first, then the dataset with its content.
            const exists = await db
              .selectFrom('dids')
              .select('name')
              .where('scope', '=', d.scope)
              .where('name', '=', d.name)
              .executeTakeFirst();
            if (exists)
              throw dataIdentifierAlreadyExists(`Data Identifier '${d.scope}:${d.name}' already exists.`);
            for (const f of b.dids) {
              checkDid(f.scope, f.name);
              if (typeof f.bytes !== 'number')
                throw inputValidationError(
                  `File ${f.scope}:${f.name} needs 'bytes' to register its replica on ${b.rse}.`,
                );
            }
            await requireReplicaWrite(
              db,
              req.caller,
              b.dids.map((f) => f.scope),
              `add file replicas on ${b.rse}`,
            );
            await addReplicas(db, b.rse, replicaFiles(b.dids), {
              account: req.caller.account,
              ignoreAvailability: false,
              maxParams,
            });
          }
          await addDids(db, [{ ...b, scope: d.scope, name: d.name }], req.caller.account, {
            account: req.caller.account,
            maxParams,
            dialect,
          });
          return reply.code(201).send('Created');
        }
        case 'dids': {
          const b = validated(AttachBody, req.body);
          await scopeWrite(req.caller, [d.scope], 'attach data identifiers', d.name);
          await attachAll(req.caller, [{ scope: d.scope, name: d.name, dids: b.dids, rse: b.rse }], false);
          return reply.code(201).send('Created');
        }
        case 'meta': {
          const b = validated(SetMetaBulkBody, req.body);
          await scopeWrite(req.caller, [d.scope], 'set metadata', d.name);
          await setMetadata(db, d.scope, d.name, b.meta, {
            recursive: boolParam(b.recursive),
            account: req.caller.account,
            maxParams,
          });
          return reply.code(201).send('Created');
        }
        default:
          throw notHere('POST', d.suffix);
      }
    },
  );

  app.put(
    '/dids/*',
    { schema: { summary: 'Open or close a DID (…/status)', description: describe } },
    async (req, reply) => {
      const d = parse(req);
      const hooked = await fromHook('PUT', req, reply, d);
      if (hooked.handled) return hooked.value;
      if (d.suffix !== 'status' && d.suffix !== '') throw notHere('PUT', d.suffix);
      const b = validated(SetStatusBody, req.body);
      await scopeWrite(req.caller, [d.scope], 'set status', d.name);
      if (b.open === true) perm.reopenDid(req.caller);
      await setStatus(db, d.scope, d.name, b);
      return reply.code(200).send('');
    },
  );

  app.delete(
    '/dids/*',
    {
      schema: {
        summary: 'Detach content (…/dids) or delete a metadata key (…/meta?key=)',
        description: describe,
      },
    },
    async (req, reply) => {
      const d = parse(req);
      const hooked = await fromHook('DELETE', req, reply, d);
      if (hooked.handled) return hooked.value;
      if (d.suffix === 'dids') {
        const b = validated(DetachBody, req.body);
        for (const c of b.dids) checkDid(c.scope, c.name);
        await scopeWrite(req.caller, [d.scope], 'detach data identifiers', d.name);
        await db.transaction().execute((trx) => detachDids(trx, d.scope, d.name, b.dids, maxParams));
        return reply.code(200).send('');
      }
      if (d.suffix === 'meta') {
        const key = (req.query as Record<string, unknown>).key;
        if (typeof key !== 'string' || key === '') throw keyNotFound('No key provided to remove');
        await scopeWrite(req.caller, [d.scope], 'delete metadata', d.name);
        await deleteMetadata(db, d.scope, d.name, key);
        return reply.code(200).send('');
      }
      throw notHere('DELETE', d.suffix);
    },
  );
}
