/**
 * Shapes of Rucio's `/dids` endpoints (lib/rucio/web/rest/flaskapi/v1/dids.py), shared by server and
 * client. Scope and name patterns are checked by the server with messages that say what is wrong
 * (common/src/rucio/names.ts), so the schemas below only bound types and lengths.
 */
import { type Static, Type } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** Largest number of DIDs one request may attach or add (Rucio caps at 1000; Oxbow takes bigger batches). */
export const MAX_DIDS_PER_REQUEST = 100_000;

/** A scope in a body (pattern checked by the server). */
export const DidScopeField = Type.String({ minLength: 1, maxLength: 25, description: 'scope' });
/** A DID name in a body (pattern checked by the server). */
export const DidNameField = Type.String({ minLength: 1, maxLength: 250, description: 'DID name' });

/** `{scope, name}` */
export const DidRef = Type.Object(
  { scope: DidScopeField, name: DidNameField },
  { additionalProperties: true },
);
export type DidRef = Static<typeof DidRef>;

/** One DID in an attach request (Rucio's generic `DID` schema; bytes/adler32/md5 are checked against the catalog). */
export const AttachDid = Type.Object(
  {
    scope: DidScopeField,
    name: DidNameField,
    type: Type.Optional(Type.String()),
    bytes: Type.Optional(Type.Integer({ minimum: 0 })),
    adler32: Type.Optional(Type.String({ pattern: '^[a-fA-F0-9]{8}$' })),
    md5: Type.Optional(Type.String({ pattern: '^[a-fA-F0-9]{32}$' })),
    meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    rules: Type.Optional(Type.Array(Type.Unknown())),
    state: Type.Optional(Type.String()),
    pfn: Type.Optional(Type.String()),
    account: Type.Optional(Type.String()),
    guid: Type.Optional(Type.String()),
    events: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type AttachDid = Static<typeof AttachDid>;

const AttachDids = Type.Array(AttachDid, { minItems: 1, maxItems: MAX_DIDS_PER_REQUEST });

/** Body of `POST /dids/{scope}/{name}/dids` (Rucio's `attachment` schema without scope/name). */
export const AttachBody = Type.Object(
  {
    dids: AttachDids,
    rse: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
    account: Type.Optional(Type.String()),
    scope: Type.Optional(DidScopeField),
    name: Type.Optional(DidNameField),
  },
  { additionalProperties: false },
);
export type AttachBody = Static<typeof AttachBody>;

/** One item of `POST /dids/attachments`. */
export const Attachment = Type.Object(
  {
    scope: DidScopeField,
    name: DidNameField,
    dids: AttachDids,
    rse: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  },
  { additionalProperties: false },
);
export type Attachment = Static<typeof Attachment>;

/** Body of `POST /dids/attachments`: `{attachments, ignore_duplicate}` or a bare list (older clients). */
export const AttachmentsBody = Type.Union([
  Type.Object(
    {
      attachments: Type.Array(Attachment, { minItems: 1, maxItems: 10_000 }),
      ignore_duplicate: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Array(Attachment, { minItems: 1, maxItems: 10_000 }),
]);
export type AttachmentsBody = Static<typeof AttachmentsBody>;

/** Body of `DELETE /dids/{scope}/{name}/dids` */
export const DetachBody = Type.Object(
  { dids: Type.Array(DidRef, { minItems: 1, maxItems: MAX_DIDS_PER_REQUEST }) },
  { additionalProperties: false },
);
export type DetachBody = Static<typeof DetachBody>;

const Statuses = Type.Object(
  { monotonic: Type.Optional(Type.Boolean()), open: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const Lifetime = Type.Optional(
  Type.Union([
    Type.Number({ exclusiveMinimum: 0 }),
    Type.String({ pattern: '^[0-9]+(\\.[0-9]*)?$' }),
    Type.Null(),
  ]),
);

/** Fields of a DID to add (body of `POST /dids/{scope}/{name}`, items of `POST /dids`). */
const AddDidFields = {
  type: Type.String({ description: 'DATASET, CONTAINER or FILE (FILE is an Oxbow extension)' }),
  statuses: Type.Optional(Statuses),
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  rules: Type.Optional(Type.Array(Type.Unknown())),
  lifetime: Lifetime,
  dids: Type.Optional(Type.Array(AttachDid, { maxItems: MAX_DIDS_PER_REQUEST })),
  rse: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  account: Type.Optional(Type.String({ minLength: 1, maxLength: 25 })),
  // Oxbow extension for type FILE: the file's size and checksums.
  bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  adler32: Type.Optional(Type.String({ pattern: '^[a-fA-F0-9]{8}$' })),
  md5: Type.Optional(Type.String({ pattern: '^[a-fA-F0-9]{32}$' })),
  guid: Type.Optional(Type.String({ maxLength: 36 })),
};

/** Body of `POST /dids/{scope}/{name}` */
export const AddDidBody = Type.Object(AddDidFields, { additionalProperties: false });
export type AddDidBody = Static<typeof AddDidBody>;

/** One item of `POST /dids` */
export const BulkAddDid = Type.Object(
  { scope: DidScopeField, name: DidNameField, ...AddDidFields },
  { additionalProperties: false },
);
export type BulkAddDid = Static<typeof BulkAddDid>;

/** Body of `POST /dids` */
export const BulkAddDidsBody = Type.Array(BulkAddDid, { minItems: 1, maxItems: MAX_DIDS_PER_REQUEST });

/** Body of `PUT /dids/{scope}/{name}/status`: status name → value (only `open` exists). */
export const SetStatusBody = Type.Record(Type.String(), Type.Unknown());

/** Body of `POST /dids/{scope}/{name}/meta/{key}` */
export const SetMetaBody = Type.Object(
  { value: Type.Unknown(), recursive: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, required: ['value'] },
);
export type SetMetaBody = Static<typeof SetMetaBody>;

/** Body of `POST /dids/{scope}/{name}/meta` */
export const SetMetaBulkBody = Type.Object(
  { meta: Type.Record(Type.String(), Type.Unknown()), recursive: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type SetMetaBulkBody = Static<typeof SetMetaBulkBody>;

/** Body of `POST /dids/bulkdidsmeta` */
export const SetDidsMetaBody = Type.Object(
  {
    dids: Type.Array(
      Type.Object(
        { scope: DidScopeField, name: DidNameField, meta: Type.Record(Type.String(), Type.Unknown()) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
    recursive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SetDidsMetaBody = Static<typeof SetDidsMetaBody>;

/** Body of `POST /dids/bulkmeta` */
export const GetDidsMetaBody = Type.Object(
  {
    dids: Type.Array(DidRef, { minItems: 1, maxItems: 10_000 }),
    inherit: Type.Optional(Type.Boolean()),
    plugin: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type GetDidsMetaBody = Static<typeof GetDidsMetaBody>;

/** Body of `POST /dids/bulkfiles` */
export const BulkFilesBody = Type.Object(
  { dids: Type.Array(DidRef, { maxItems: 10_000 }) },
  { additionalProperties: false },
);
export type BulkFilesBody = Static<typeof BulkFilesBody>;

/** Query of `GET /dids/{scope}/{name}` (and `/status`). */
export const GetDidQuery = Type.Object({
  dynamic_depth: Type.Optional(Type.String()),
  dynamic: Type.Optional(Type.String()),
});

/** Query of `GET /dids/{scope}/dids/search`; other keys are filters (old clients). */
export const SearchDidsQuery = Type.Object(
  {
    type: Type.Optional(Type.String()),
    filters: Type.Optional(Type.String()),
    long: Type.Optional(Type.String()),
    recursive: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);

/** `GET /dids/{scope}/{name}` for a file. */
export const FileDid = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  type: Type.Literal('FILE'),
  account: Type.String(),
  bytes: Type.Union([Type.Number(), Type.Null()]),
  length: Type.Literal(1),
  md5: Type.Union([Type.String(), Type.Null()]),
  adler32: Type.Union([Type.String(), Type.Null()]),
});
/** `GET /dids/{scope}/{name}` for a dataset or container. */
export const CollectionDid = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  type: Type.Union([Type.Literal('DATASET'), Type.Literal('CONTAINER')]),
  account: Type.String(),
  open: Type.Union([Type.Boolean(), Type.Null()]),
  monotonic: Type.Boolean(),
  expired_at: Type.Union([Type.String(), Type.Null()]),
  length: Type.Union([Type.Number(), Type.Null()]),
  bytes: Type.Union([Type.Number(), Type.Null()]),
});
/** `GET /dids/{scope}/{name}` */
export const DidInfo = Type.Union([FileDid, CollectionDid]);
export type DidInfo = Static<typeof DidInfo>;

/** One line of `GET /dids/{scope}/{name}/dids` */
export const DidContent = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  type: Type.String(),
  bytes: Type.Union([Type.Number(), Type.Null()]),
  adler32: Type.Union([Type.String(), Type.Null()]),
  md5: Type.Union([Type.String(), Type.Null()]),
});
export type DidContent = Static<typeof DidContent>;

/** One line of `GET /dids/{scope}/{name}/files` (`lumiblocknr` only with `long`). */
export const DidFile = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  bytes: Type.Union([Type.Number(), Type.Null()]),
  adler32: Type.Union([Type.String(), Type.Null()]),
  guid: Type.Union([Type.String(), Type.Null()]),
  events: Type.Union([Type.Number(), Type.Null()]),
  lumiblocknr: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
export type DidFile = Static<typeof DidFile>;

/** One line of `GET /dids/{scope}/{name}/parents` */
export const DidParent = Type.Object({ scope: Type.String(), name: Type.String(), type: Type.String() });
export type DidParent = Static<typeof DidParent>;

/** One line of `GET /dids/{scope}/dids/search?long=True` (without `long` each line is a JSON string: the name). */
export const DidSearchLong = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  did_type: Type.String(),
  bytes: Type.Union([Type.Number(), Type.Null()]),
  length: Type.Union([Type.Number(), Type.Null()]),
});
export type DidSearchLong = Static<typeof DidSearchLong>;

/** One line of `GET /dids/{scope}/` */
export const ScopeListItem = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  type: Type.String(),
  parent: Type.Union([Type.Object({ scope: Type.String(), name: Type.String() }), Type.Null()]),
  level: Type.Integer(),
  bytes: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
export type ScopeListItem = Static<typeof ScopeListItem>;
