/** `/requests/transfer_limits`: limits on active transfers per RSE expression and activity. */
import type { DeleteTransferLimitBody, SetTransferLimitBody, TransferLimit } from '@oxbow/common';
import type { Transport } from '../transport.js';

/** Transfer-limit calls. */
export function requestsApi(t: Transport) {
  return {
    /** `GET /requests/transfer_limits`, streamed. */
    transferLimits: (): AsyncGenerator<TransferLimit> =>
      t.list<TransferLimit>({ method: 'GET', path: '/requests/transfer_limits' }),
    /** `PUT /requests/transfer_limits`: creates or changes the limit of (expression, activity, direction). */
    setTransferLimit: async (limit: SetTransferLimitBody): Promise<void> => {
      await t.send({ method: 'PUT', path: '/requests/transfer_limits', body: limit });
    },
    /** `DELETE /requests/transfer_limits` */
    deleteTransferLimit: async (limit: DeleteTransferLimitBody): Promise<void> => {
      await t.send({ method: 'DELETE', path: '/requests/transfer_limits', body: limit });
    },
  };
}
