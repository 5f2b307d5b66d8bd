/** Shapes of Rucio's `/rses/*` endpoints (rses.py), shared by server and client. */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

// OpenAPI's `nullable` rather than anyOf-with-null: the server's ajv coerces types, and inside anyOf it
// would turn null into '' or 0 (and false into 'false') in the first branch it tries.
const Nullable = <T extends TSchema>(t: T) => Type.Unsafe<Static<T> | null>({ ...t, nullable: true });
const OptStr = Type.Optional(Nullable(Type.String({ maxLength: 255 })));
const OptBool = Type.Optional(Nullable(Type.Boolean()));
const OptNum = Type.Optional(Nullable(Type.Number()));

/** Path parameter `{rse}` (the name is checked against Rucio's RSE name rule by the server). */
export const RseParams = Type.Object({ rse: Type.String({ minLength: 1, maxLength: 255 }) });

/** Query of `GET /rses/` */
export const ListRsesQuery = Type.Object({
  expression: Type.Optional(Type.String({ maxLength: 3000, description: 'RSE expression' })),
});

/** Body of `POST /rses/{rse}` (every field optional; Rucio's defaults apply). */
export const AddRseBody = Type.Object(
  {
    deterministic: OptBool,
    volatile: OptBool,
    staging_area: OptBool,
    rse_type: Type.Optional(
      Type.Unsafe<'DISK' | 'TAPE' | null>({ type: 'string', enum: ['DISK', 'TAPE', null], nullable: true }),
    ),
    city: OptStr,
    region_code: OptStr,
    country_name: OptStr,
    continent: OptStr,
    time_zone: OptStr,
    ISP: OptStr,
    ASN: OptStr,
    longitude: OptNum,
    latitude: OptNum,
    availability: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 7, description: 'deprecated: rwd bits' }),
    ),
    availability_read: OptBool,
    availability_write: OptBool,
    availability_delete: OptBool,
  },
  { additionalProperties: false },
);
export type AddRseBody = Static<typeof AddRseBody>;

/** Body of `PUT /rses/{rse}`: the mutable properties of Rucio's update_rse. */
export const UpdateRseBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    availability: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 })),
    availability_read: Type.Optional(Type.Boolean()),
    availability_write: Type.Optional(Type.Boolean()),
    availability_delete: Type.Optional(Type.Boolean()),
    deterministic: Type.Optional(Type.Boolean()),
    volatile: Type.Optional(Type.Boolean()),
    staging_area: Type.Optional(Type.Boolean()),
    rse_type: Type.Optional(Type.Unsafe<'DISK' | 'TAPE'>({ type: 'string', enum: ['DISK', 'TAPE'] })),
    latitude: OptNum,
    longitude: OptNum,
    time_zone: OptStr,
    region_code: OptStr,
    country_name: OptStr,
    city: OptStr,
    continent: OptStr,
    qos_class: OptStr,
  },
  { additionalProperties: false },
);
export type UpdateRseBody = Static<typeof UpdateRseBody>;

/** One line of `GET /rses/` (Rucio's RSE row). */
export const RseRow = Type.Object({
  id: Type.String(),
  rse: Type.String(),
  vo: Type.String(),
  rse_type: Type.String(),
  deterministic: Type.Boolean(),
  volatile: Type.Boolean(),
  staging_area: Type.Boolean(),
  city: Nullable(Type.String()),
  region_code: Nullable(Type.String()),
  country_name: Nullable(Type.String()),
  continent: Nullable(Type.String()),
  time_zone: Nullable(Type.String()),
  ISP: Nullable(Type.String()),
  ASN: Nullable(Type.String()),
  longitude: Type.Union([Type.Number(), Type.Null()]),
  latitude: Type.Union([Type.Number(), Type.Null()]),
  availability: Type.Integer(),
  availability_read: Type.Boolean(),
  availability_write: Type.Boolean(),
  availability_delete: Type.Boolean(),
  qos_class: Nullable(Type.String()),
  deleted: Type.Boolean(),
  deleted_at: Nullable(Type.String()),
  created_at: Nullable(Type.String()),
  updated_at: Nullable(Type.String()),
});
export type RseRow = Static<typeof RseRow>;

/** One line of `GET /rses/?expression=…` */
export const RseExpressionItem = Type.Object({ rse: Type.String() });

/** Priorities of a protocol per domain and operation (0 or null: not supported; 1 is the best). */
const Priority = Nullable(Type.Integer({ minimum: 0 }));
export const ProtocolDomains = Type.Object(
  {
    lan: Type.Optional(
      Type.Object(
        { read: Type.Optional(Priority), write: Type.Optional(Priority), delete: Type.Optional(Priority) },
        { additionalProperties: false },
      ),
    ),
    wan: Type.Optional(
      Type.Object(
        {
          read: Type.Optional(Priority),
          write: Type.Optional(Priority),
          delete: Type.Optional(Priority),
          third_party_copy: Type.Optional(Priority),
          third_party_copy_read: Type.Optional(Priority),
          third_party_copy_write: Type.Optional(Priority),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ProtocolDomains = Static<typeof ProtocolDomains>;

const ExtendedAttributes = Type.Optional(
  Type.Unknown({ description: 'object (or JSON text) of protocol-specific settings, e.g. web_service_path' }),
);

/** Body of `POST /rses/{rse}/protocols/{scheme}` as Rucio's client sends it. */
export const AddProtocolBody = Type.Object({
  scheme: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  hostname: Type.Optional(Type.String({ maxLength: 255 })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  prefix: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  impl: Type.String({ minLength: 1, maxLength: 255 }),
  domains: Type.Optional(ProtocolDomains),
  extended_attributes: ExtendedAttributes,
  read_lan: Type.Optional(Priority),
  write_lan: Type.Optional(Priority),
  delete_lan: Type.Optional(Priority),
  read_wan: Type.Optional(Priority),
  write_wan: Type.Optional(Priority),
  delete_wan: Type.Optional(Priority),
  third_party_copy_read: Type.Optional(Priority),
  third_party_copy_write: Type.Optional(Priority),
});
export type AddProtocolBody = Static<typeof AddProtocolBody>;

/** Body of `PUT /rses/{rse}/protocols/{scheme}[/{hostname}[/{port}]]`: fields to change. */
export const UpdateProtocolBody = Type.Object(
  {
    hostname: Type.Optional(Type.String({ maxLength: 255 })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    prefix: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
    impl: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    domains: Type.Optional(ProtocolDomains),
    extended_attributes: ExtendedAttributes,
    read_lan: Type.Optional(Priority),
    write_lan: Type.Optional(Priority),
    delete_lan: Type.Optional(Priority),
    read_wan: Type.Optional(Priority),
    write_wan: Type.Optional(Priority),
    delete_wan: Type.Optional(Priority),
    third_party_copy_read: Type.Optional(Priority),
    third_party_copy_write: Type.Optional(Priority),
  },
  { additionalProperties: false },
);
export type UpdateProtocolBody = Static<typeof UpdateProtocolBody>;

/** One protocol as `GET /rses/{rse}/protocols` lists it. */
export const RseProtocol = Type.Object({
  hostname: Type.String(),
  scheme: Type.String(),
  port: Type.Integer(),
  prefix: Type.String(),
  impl: Type.String(),
  domains: Type.Object({
    lan: Type.Object({ read: Priority, write: Priority, delete: Priority }),
    wan: Type.Object({
      read: Priority,
      write: Priority,
      delete: Priority,
      third_party_copy_read: Priority,
      third_party_copy_write: Priority,
    }),
  }),
  extended_attributes: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.String(), Type.Null()]),
});
export type RseProtocol = Static<typeof RseProtocol>;

/** `GET /rses/{rse}`: Rucio's RSE settings (rse_info), what rsemanager works from. */
export const RseInfo = Type.Object({
  availability: Type.Integer(),
  availability_delete: Type.Boolean(),
  availability_read: Type.Boolean(),
  availability_write: Type.Boolean(),
  credentials: Type.Null(),
  deterministic: Type.Boolean(),
  domain: Type.Array(Type.String()),
  id: Type.String(),
  lfn2pfn_algorithm: Type.String(),
  protocols: Type.Array(RseProtocol),
  qos_class: Nullable(Type.String()),
  rse: Type.String(),
  rse_type: Type.String(),
  sign_url: Nullable(Type.String()),
  staging_area: Type.Boolean(),
  verify_checksum: Type.Boolean(),
  volatile: Type.Boolean(),
});
export type RseInfo = Static<typeof RseInfo>;

/** RSE attribute value: a string, number or boolean, kept with its JSON type (checked by the server). */
export const RseAttributeValue = Type.Unsafe<string | number | boolean>({
  description: 'string, number or boolean',
});

/** Body of `POST /rses/{rse}/attr/{key}` */
export const AddRseAttributeBody = Type.Object({ value: RseAttributeValue });
export type AddRseAttributeBody = Static<typeof AddRseAttributeBody>;

/** `GET /rses/{rse}/attr/`: `{key: value}` */
export const RseAttributes = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Boolean(), Type.Number()]),
);
export type RseAttributes = Static<typeof RseAttributes>;

/** Query of `GET /rses/{rse}/lfns2pfns` (Rucio's client repeats `lfn=scope:name`). */
export const Lfns2PfnsQuery = Type.Object({
  lfn: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  lfns: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  scheme: Type.Optional(Type.String()),
  operation: Type.Optional(Type.String()),
  domain: Type.Optional(Type.String()),
});
export type Lfns2PfnsQuery = Static<typeof Lfns2PfnsQuery>;

/** One line of `GET /rses/{rse}/usage` */
export const RseUsage = Type.Object({
  rse_id: Type.String(),
  rse: Type.String(),
  source: Type.String(),
  used: Type.Number(),
  free: Type.Union([Type.Number(), Type.Null()]),
  total: Type.Number(),
  files: Nullable(Type.Number()),
  updated_at: Nullable(Type.String()),
});
export type RseUsage = Static<typeof RseUsage>;

/** Query of `GET /rses/{rse}/usage`: one information source only. */
export const RseUsageQuery = Type.Object({
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  per_account: Type.Optional(Type.String()),
});

const Bytes = Type.Integer({ minimum: 0 });

/** Body of `PUT /rses/{rse}/usage` (Rucio's set_rse_usage): what a source reports for the RSE. */
export const SetRseUsageBody = Type.Object(
  {
    source: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_.-]+$' }),
    used: Bytes,
    free: Type.Optional(Nullable(Bytes)),
    files: Type.Optional(Nullable(Bytes)),
  },
  { additionalProperties: false },
);
export type SetRseUsageBody = Static<typeof SetRseUsageBody>;

/** `GET /rses/{rse}/limits`: limit name to value (bytes for MinFreeSpace). */
export const RseLimits = Type.Record(Type.String(), Type.Number());
export type RseLimits = Static<typeof RseLimits>;

/** Body of `PUT /rses/{rse}/limits` (Rucio's set_rse_limits). */
export const SetRseLimitBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_.-]+$' }),
    value: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type SetRseLimitBody = Static<typeof SetRseLimitBody>;

/** Body of `DELETE /rses/{rse}/limits`. */
export const DeleteRseLimitBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);
export type DeleteRseLimitBody = Static<typeof DeleteRseLimitBody>;
