/** `/dids/*`: search, add, attach/detach, content, files, metadata, status, parents, rules. */
import type {
  AddDidBody,
  AttachDid,
  Attachment,
  BulkAddDid,
  DidContent,
  DidFile,
  DidInfo,
  DidParent,
  DidRef,
  DidSearchLong,
  ScopeListItem,
  SetDidsMetaBody,
} from '@oxbow/common';
import { didSearchQueryString, parseDidFilterString, type RucioFilterDict } from '@oxbow/common/rucio/index';
import type { Transport } from '../transport.js';
import { didPath, seg } from './path.js';

/** DID types a search can ask for. */
export type DidSearchType = 'all' | 'collection' | 'dataset' | 'container' | 'file';

/** Options of a DID search. */
export interface DidSearchOptions {
  /**
   * Filters: Rucio's list of OR-ed dicts (`[{'run_number.gte': 1000, name: 'data*'}]`), or the
   * command-line form (`'datatype=AOD, run_number>=1000; type=all'`). Default: every name.
   */
  filters?: RucioFilterDict[] | string;
  /** Name pattern added to each filter group without one (wildcards `*`); default `*`. */
  name?: string;
  type?: DidSearchType;
  recursive?: boolean;
  /** Stop after this many results (server side). */
  limit?: number;
}

function searchQuery(opts: DidSearchOptions, long: boolean): string {
  const filters =
    typeof opts.filters === 'string' || opts.filters === undefined
      ? parseDidFilterString(opts.filters ?? '', { name: opts.name ?? '*' })
      : opts.filters.map((g) => (g.name === undefined ? { ...g, name: opts.name ?? '*' } : g));
  const qs = didSearchQueryString({
    type: opts.type ?? 'collection',
    filters,
    long,
    recursive: opts.recursive,
  });
  return opts.limit === undefined ? qs : `${qs}&limit=${opts.limit}`;
}

/** Metadata plugins of `GET /dids/{scope}/{name}/meta`. */
export type MetaPlugin = 'DID_COLUMN' | 'JSON' | 'ALL' | string;

/** DID calls. */
export function didsApi(t: Transport) {
  return {
    /** `GET /dids/{scope}/dids/search`: names of matching DIDs, streamed. */
    search: (scope: string, opts: DidSearchOptions = {}): AsyncGenerator<string> =>
      t.list<string>({
        method: 'GET',
        path: `/dids/${seg(scope)}/dids/search`,
        query: searchQuery(opts, false),
      }),
    /** `GET /dids/{scope}/dids/search?long=True`: matching DIDs with type, bytes and length, streamed. */
    searchLong: (scope: string, opts: DidSearchOptions = {}): AsyncGenerator<DidSearchLong> =>
      t.list<DidSearchLong>({
        method: 'GET',
        path: `/dids/${seg(scope)}/dids/search`,
        query: searchQuery(opts, true),
      }),
    /** `GET /dids/{scope}/`: the DIDs of a scope with their parents (Rucio's scope_list). */
    listScope: (
      scope: string,
      opts: { name?: string; recursive?: boolean } = {},
    ): AsyncGenerator<ScopeListItem> =>
      t.list<ScopeListItem>({
        method: 'GET',
        path: `/dids/${seg(scope)}/`,
        query: { name: opts.name, recursive: opts.recursive ? 'True' : undefined },
      }),
    /** `POST /dids/{scope}/{name}`: a dataset or container (or, as an Oxbow extension, a file). */
    add: async (scope: string, name: string, body: AddDidBody): Promise<void> => {
      await t.send({ method: 'POST', path: didPath(scope, name), body });
    },
    /** `POST /dids`: many DIDs in one transaction. */
    addMany: async (dids: BulkAddDid[]): Promise<void> => {
      await t.send({ method: 'POST', path: '/dids', body: dids });
    },
    /** `GET /dids/{scope}/{name}` (`dynamicDepth` FILE/DATASET computes sizes of open collections). */
    get: (scope: string, name: string, opts: { dynamicDepth?: 'FILE' | 'DATASET' } = {}): Promise<DidInfo> =>
      t.json<DidInfo>({
        method: 'GET',
        path: didPath(scope, name),
        query: { dynamic_depth: opts.dynamicDepth },
      }),
    /** `POST /dids/{scope}/{name}/dids`: attaches DIDs (files to a dataset, collections to a container). */
    attach: async (scope: string, name: string, dids: AttachDid[], rse?: string): Promise<void> => {
      await t.send({
        method: 'POST',
        path: didPath(scope, name, 'dids'),
        body: rse ? { dids, rse } : { dids },
      });
    },
    /** `POST /dids/attachments`: several attachments in one request. */
    attachMany: async (attachments: Attachment[], ignoreDuplicate = false): Promise<void> => {
      await t.send({
        method: 'POST',
        path: '/dids/attachments',
        body: { attachments, ignore_duplicate: ignoreDuplicate },
      });
    },
    /** `DELETE /dids/{scope}/{name}/dids`: detaches DIDs from a collection. */
    detach: async (scope: string, name: string, dids: DidRef[]): Promise<void> => {
      await t.send({ method: 'DELETE', path: didPath(scope, name, 'dids'), body: { dids } });
    },
    /** `GET /dids/{scope}/{name}/dids`: direct content, streamed. */
    content: (scope: string, name: string): AsyncGenerator<DidContent> =>
      t.list<DidContent>({ method: 'GET', path: didPath(scope, name, 'dids') }),
    /** `GET /dids/{scope}/{name}/dids/history`: content including detached DIDs, streamed. */
    contentHistory: (scope: string, name: string): AsyncGenerator<DidContent> =>
      t.list<DidContent>({ method: 'GET', path: didPath(scope, name, 'dids', 'history') }),
    /** `GET /dids/{guid}/guid`: datasets holding the file with this GUID, streamed. */
    datasetsByGuid: (guid: string): AsyncGenerator<{ scope: string; name: string }> =>
      t.list<{ scope: string; name: string }>({ method: 'GET', path: `/dids/${seg(guid)}/guid` }),
    /** `GET /dids/{scope}/{name}/files`: every file below a DID, streamed. */
    files: (scope: string, name: string, opts: { long?: boolean } = {}): AsyncGenerator<DidFile> =>
      t.list<DidFile>({
        method: 'GET',
        path: didPath(scope, name, 'files'),
        query: { long: opts.long ? 'True' : undefined },
      }),
    /** `POST /dids/bulkfiles`: files of several DIDs, streamed. */
    filesOfMany: (dids: DidRef[]): AsyncGenerator<DidFile> =>
      t.list<DidFile>({ method: 'POST', path: '/dids/bulkfiles', body: { dids }, idempotent: true }),
    /** `GET /dids/{scope}/{name}/parents`, streamed. */
    parents: (scope: string, name: string): AsyncGenerator<DidParent> =>
      t.list<DidParent>({ method: 'GET', path: didPath(scope, name, 'parents') }),
    /** `GET /dids/{scope}/{name}/meta?plugin=…` */
    meta: (
      scope: string,
      name: string,
      plugin: MetaPlugin = 'DID_COLUMN',
    ): Promise<Record<string, unknown>> =>
      t.json<Record<string, unknown>>({
        method: 'GET',
        path: didPath(scope, name, 'meta'),
        query: { plugin },
      }),
    /** `POST /dids/bulkmeta`: metadata of several DIDs, streamed. */
    metaOfMany: (dids: DidRef[], opts: { inherit?: boolean; plugin?: MetaPlugin } = {}) =>
      t.list<Record<string, unknown>>({
        method: 'POST',
        path: '/dids/bulkmeta',
        body: { dids, inherit: opts.inherit ?? false, plugin: opts.plugin ?? 'JSON' },
        idempotent: true,
      }),
    /** `POST /dids/{scope}/{name}/meta/{key}` */
    setMeta: async (
      scope: string,
      name: string,
      key: string,
      value: unknown,
      recursive = false,
    ): Promise<void> => {
      await t.send({
        method: 'POST',
        path: didPath(scope, name, 'meta', seg(key)),
        body: { value, recursive },
      });
    },
    /** `POST /dids/{scope}/{name}/meta`: several keys at once. */
    setMetaMany: async (
      scope: string,
      name: string,
      meta: Record<string, unknown>,
      recursive = false,
    ): Promise<void> => {
      await t.send({ method: 'POST', path: didPath(scope, name, 'meta'), body: { meta, recursive } });
    },
    /** `POST /dids/bulkdidsmeta`: metadata of several DIDs in one request. */
    setMetaOfMany: async (dids: SetDidsMetaBody['dids'], recursive = false): Promise<void> => {
      await t.send({ method: 'POST', path: '/dids/bulkdidsmeta', body: { dids, recursive } });
    },
    /** `DELETE /dids/{scope}/{name}/meta?key=…` */
    deleteMeta: async (scope: string, name: string, key: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: didPath(scope, name, 'meta'), query: { key } });
    },
    /** `PUT /dids/{scope}/{name}/status` (e.g. `{open: false}` closes a dataset). */
    setStatus: async (scope: string, name: string, status: { open?: boolean }): Promise<void> => {
      await t.send({ method: 'PUT', path: didPath(scope, name, 'status'), body: status });
    },
    /** `GET /dids/{scope}/{name}/associated_rules`: rules affecting a file, streamed. */
    associatedRules: (scope: string, name: string): AsyncGenerator<Record<string, unknown>> =>
      t.list<Record<string, unknown>>({ method: 'GET', path: didPath(scope, name, 'associated_rules') }),
    /** `GET /dids/{scope}/{name}/rules`, streamed. */
    rules: (scope: string, name: string): AsyncGenerator<Record<string, unknown>> =>
      t.list<Record<string, unknown>>({ method: 'GET', path: didPath(scope, name, 'rules') }),
  };
}
