/** Shapes of Rucio's account, identity, scope and auth endpoints, shared by server and client. */
import { type Static, Type } from '@sinclair/typebox';

export const AccountName = Type.String({
  minLength: 1,
  maxLength: 25,
  pattern: '^[a-z0-9_-]+$',
  description: 'account name',
});
export const ScopeName = Type.String({
  minLength: 1,
  maxLength: 25,
  pattern: '^[a-zA-Z0-9_.-]+$',
  description: 'scope name',
});

/** `GET /accounts/{account}` */
export const Account = Type.Object({
  account: Type.String(),
  account_type: Type.String(),
  status: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.Union([Type.String(), Type.Null()]),
  updated_at: Type.Union([Type.String(), Type.Null()]),
  suspended_at: Type.Union([Type.String(), Type.Null()]),
  deleted_at: Type.Union([Type.String(), Type.Null()]),
});
export type Account = Static<typeof Account>;

/** One line of `GET /accounts/` */
export const AccountListItem = Type.Object({
  account: Type.String(),
  type: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
});
export type AccountListItem = Static<typeof AccountListItem>;

/** Body of `POST /accounts/{account}` */
export const AddAccountBody = Type.Object(
  {
    type: Type.String({ description: 'USER, GROUP or SERVICE' }),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type AddAccountBody = Static<typeof AddAccountBody>;

/** Body of `PUT /accounts/{account}` */
export const UpdateAccountBody = Type.Record(Type.String(), Type.String());

/** One of `GET /accounts/{account}/attr/` */
export const AccountAttribute = Type.Object({
  key: Type.String(),
  value: Type.Union([Type.String(), Type.Boolean()]),
});
export type AccountAttribute = Static<typeof AccountAttribute>;

/** Body of `POST /accounts/{account}/attr/{key}` */
export const AddAccountAttributeBody = Type.Object({
  key: Type.Optional(Type.String()),
  value: Type.Union([Type.String(), Type.Boolean(), Type.Number()]),
});

/** Body of `POST /accounts/{account}/identities` (and DELETE) */
export const AccountIdentityBody = Type.Object({
  identity: Type.String({ minLength: 1, maxLength: 2048 }),
  authtype: Type.String(),
  email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  password: Type.Optional(Type.String()),
  default: Type.Optional(Type.Boolean()),
});
export type AccountIdentityBody = Static<typeof AccountIdentityBody>;

/** One of `GET /accounts/{account}/identities` */
export const AccountIdentity = Type.Object({
  type: Type.String(),
  identity: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
});
export type AccountIdentity = Static<typeof AccountIdentity>;

/** One of `GET /scopes/owner/` */
export const ScopeOwner = Type.Object({ scope: Type.String(), account: Type.String() });
export type ScopeOwner = Static<typeof ScopeOwner>;

/** Usage line of `GET /accounts/{account}/usage/local` */
export const AccountUsage = Type.Object({
  rse_id: Type.String(),
  rse: Type.String(),
  files: Type.Number(),
  bytes: Type.Number(),
  bytes_limit: Type.Union([Type.Number(), Type.Null()]),
  bytes_remaining: Type.Union([Type.Number(), Type.Null()]),
});
export type AccountUsage = Static<typeof AccountUsage>;

/** Body of `POST /accounts/{account}/limits/local/{rse}` */
export const AccountLimitBody = Type.Object({ bytes: Type.Number({ minimum: -1 }) });

/** `GET /auth/validate` answer (Rucio sends a Python dict repr; Oxbow sends this JSON). */
export const TokenValidation = Type.Object({
  account: Type.String(),
  identity: Type.Union([Type.String(), Type.Null()]),
  lifetime: Type.String(),
  authz_scope: Type.Union([Type.String(), Type.Null()]),
  audience: Type.Union([Type.String(), Type.Null()]),
  vo: Type.String(),
});
export type TokenValidation = Static<typeof TokenValidation>;
