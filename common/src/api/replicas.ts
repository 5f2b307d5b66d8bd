/** Shapes of Rucio's `/replicas/*` endpoints (replicas.py), shared by server and client. */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

// OpenAPI's `nullable` rather than anyOf-with-null: the server's ajv coerces types, and inside anyOf it
// would turn null into '' or 0 in the first branch it tries.
const Nullable = <T extends TSchema>(t: T) => Type.Unsafe<Static<T> | null>({ ...t, nullable: true });
const OptNullStr = Type.Optional(Nullable(Type.String()));
const OptNullBool = Type.Optional(Nullable(Type.Boolean()));
const STATES = [
  'AVAILABLE',
  'UNAVAILABLE',
  'COPYING',
  'BEING_DELETED',
  'BAD',
  'TEMPORARY_UNAVAILABLE',
  'A',
  'U',
  'C',
  'B',
  'D',
  'T',
];

/** Replica state as a name or Rucio's one-letter code. */
export const ReplicaStateInput = Type.Unsafe<string>({
  type: 'string',
  enum: STATES,
  description:
    'AVAILABLE (A), UNAVAILABLE (U), COPYING (C), BEING_DELETED (B), BAD (D), TEMPORARY_UNAVAILABLE (T)',
});

const Scope = Type.String({ minLength: 1, maxLength: 25 });
const Name = Type.String({ minLength: 1, maxLength: 250 });
export const Adler32 = Type.String({ pattern: '^[a-fA-F0-9]{8}$', description: '8 hex digits' });
export const Md5 = Type.String({ pattern: '^[a-fA-F0-9]{32}$', description: '32 hex digits' });

/** One file of `POST /replicas` (extra keys Rucio's client may add are ignored). */
export const ReplicaFileInput = Type.Object({
  scope: Scope,
  name: Name,
  bytes: Type.Integer({ minimum: 0 }),
  adler32: Type.Optional(Nullable(Adler32)),
  md5: Type.Optional(Nullable(Md5)),
  pfn: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  path: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
  state: Type.Optional(ReplicaStateInput),
  meta: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  lock_cnt: Type.Optional(Type.Integer({ minimum: 0 })),
  tombstone: OptNullStr,
});
export type ReplicaFileInput = Static<typeof ReplicaFileInput>;

/** Body of `POST /replicas` */
export const AddReplicasBody = Type.Object({
  rse: Type.String({ minLength: 1, maxLength: 255 }),
  files: Type.Array(ReplicaFileInput, { maxItems: 100000 }),
  ignore_availability: OptNullBool,
});
export type AddReplicasBody = Static<typeof AddReplicasBody>;

/** One replica of `PUT /replicas` (its `rse` overrides the body's). */
export const ReplicaStateUpdate = Type.Object({
  scope: Scope,
  name: Name,
  state: ReplicaStateInput,
  rse: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  path: OptNullStr,
  error_message: OptNullStr,
  broken_rule_id: OptNullStr,
  broken_message: OptNullStr,
});
export type ReplicaStateUpdate = Static<typeof ReplicaStateUpdate>;

/** Body of `PUT /replicas`: Rucio's `{rse, files}`; `{replicas: [{scope, name, rse, state}]}` is accepted too. */
export const UpdateReplicasBody = Type.Object({
  rse: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  files: Type.Optional(Type.Array(ReplicaStateUpdate, { maxItems: 100000 })),
  replicas: Type.Optional(Type.Array(ReplicaStateUpdate, { maxItems: 100000 })),
});
export type UpdateReplicasBody = Static<typeof UpdateReplicasBody>;

/** Body of `DELETE /replicas` */
export const DeleteReplicasBody = Type.Object({
  rse: Type.String({ minLength: 1, maxLength: 255 }),
  files: Type.Array(Type.Object({ scope: Scope, name: Name }), { maxItems: 100000 }),
  ignore_availability: OptNullBool,
});
export type DeleteReplicasBody = Static<typeof DeleteReplicasBody>;

/** Body of `POST /replicas/list` as Rucio's client sends it (nulls mean "default"). */
export const ListReplicasBody = Type.Object({
  dids: Type.Array(Type.Object({ scope: Scope, name: Name }), { maxItems: 100000 }),
  schemes: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 64 })))),
  rse_expression: OptNullStr,
  unavailable: OptNullBool,
  all_states: OptNullBool,
  ignore_availability: OptNullBool,
  client_location: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  sort: OptNullStr,
  domain: Type.Optional(
    Type.Unsafe<'wan' | 'lan' | 'all' | null>({
      type: 'string',
      enum: ['wan', 'lan', 'all', null],
      nullable: true,
      description: 'wan, lan or all',
    }),
  ),
  resolve_archives: OptNullBool,
  resolve_parents: OptNullBool,
  nrandom: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  signature_lifetime: Type.Optional(Nullable(Type.Integer())),
  updated_after: Type.Optional(
    Type.Unsafe<string | number | null>({
      description: "epoch seconds or '%Y-%m-%dT%H:%M:%S' (UTC); checked by the server",
    }),
  ),
});
export type ListReplicasBody = Static<typeof ListReplicasBody>;

/** One PFN of a listed file. */
export const ReplicaPfn = Type.Object({
  rse_id: Type.String(),
  rse: Type.String(),
  type: Type.String(),
  volatile: Type.Boolean(),
  domain: Type.String(),
  priority: Type.Integer(),
  client_extract: Type.Boolean(),
});
export type ReplicaPfn = Static<typeof ReplicaPfn>;

/** One line of `POST /replicas/list` and `GET /replicas/{scope}/{name}` */
export const ListedReplica = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  bytes: Type.Union([Type.Number(), Type.Null()]),
  md5: Type.Union([Type.String(), Type.Null()]),
  adler32: Type.Union([Type.String(), Type.Null()]),
  pfns: Type.Record(Type.String(), ReplicaPfn),
  rses: Type.Record(Type.String(), Type.Array(Type.String())),
  states: Type.Record(Type.String(), Type.String()),
  parents: Type.Optional(Type.Array(Type.String())),
});
export type ListedReplica = Static<typeof ListedReplica>;

/** One line of `GET /replicas/{scope}/{name}/datasets` */
export const DatasetReplica = Type.Object({
  scope: Type.String(),
  name: Type.String(),
  rse: Type.String(),
  rse_id: Type.String(),
  bytes: Type.Number(),
  length: Type.Number(),
  available_bytes: Type.Number(),
  available_length: Type.Number(),
  state: Type.String(),
  created_at: Type.Union([Type.String(), Type.Null()]),
  updated_at: Type.Union([Type.String(), Type.Null()]),
  accessed_at: Type.Union([Type.String(), Type.Null()]),
});
export type DatasetReplica = Static<typeof DatasetReplica>;

/** Body of `POST /replicas/tombstone` */
export const TombstoneBody = Type.Object({
  replicas: Type.Array(
    Type.Object({ rse: Type.String({ minLength: 1, maxLength: 255 }), scope: Scope, name: Name }),
    { maxItems: 100000 },
  ),
});
export type TombstoneBody = Static<typeof TombstoneBody>;
