/** Shapes of Rucio's `/requests/transfer_limits` (requests.py), shared by server and client. */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Unsafe<Static<T> | null>({ ...t, nullable: true });
const OptNullInt = Type.Optional(Nullable(Type.Integer({ minimum: 0 })));
const Direction = Type.Union([Type.Literal('DESTINATION'), Type.Literal('SOURCE')]);
const Activity = Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50 })));

/** Body of `PUT /requests/transfer_limits`: at most `max_transfers` active transfers into the RSEs. */
export const SetTransferLimitBody = Type.Object(
  {
    rse_expression: Type.String({ minLength: 1, maxLength: 3000 }),
    /** null or absent: every activity (Rucio's 'all_activities'). */
    activity: Activity,
    direction: Type.Optional(Direction),
    max_transfers: OptNullInt,
    volume: OptNullInt,
    deadline: OptNullInt,
    strategy: Type.Optional(Nullable(Type.String({ maxLength: 25 }))),
    transfers: OptNullInt,
    waitings: OptNullInt,
  },
  { additionalProperties: false },
);
export type SetTransferLimitBody = Static<typeof SetTransferLimitBody>;

/** Body of `DELETE /requests/transfer_limits`. */
export const DeleteTransferLimitBody = Type.Object(
  {
    rse_expression: Type.String({ minLength: 1, maxLength: 3000 }),
    activity: Activity,
    direction: Type.Optional(Direction),
  },
  { additionalProperties: false },
);
export type DeleteTransferLimitBody = Static<typeof DeleteTransferLimitBody>;

/** One line of `GET /requests/transfer_limits`. */
export const TransferLimit = Type.Object({
  id: Type.String(),
  rse_expression: Type.String(),
  activity: Type.String(),
  direction: Type.String(),
  max_transfers: Type.Number(),
  volume: Type.Number(),
  deadline: Type.Number(),
  strategy: Type.String(),
  transfers: Nullable(Type.Number()),
  waitings: Nullable(Type.Number()),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type TransferLimit = Static<typeof TransferLimit>;
