/** `/replicas/*`: register, update, delete and list file replicas. */
import type {
  DatasetReplica,
  ListedReplica,
  ListReplicasBody,
  ReplicaFileInput,
  ReplicaStateUpdate,
  TombstoneBody,
} from '@oxbow/common';
import type { Transport } from '../transport.js';
import { seg } from './path.js';

/** Replica calls. */
export function replicasApi(t: Transport) {
  return {
    /**
     * `POST /replicas/list`: files below the DIDs with their PFNs per RSE, streamed. The POST only
     * reads, so it is retried like a GET.
     */
    list: (req: ListReplicasBody): AsyncGenerator<ListedReplica> =>
      t.list<ListedReplica>({
        method: 'POST',
        path: '/replicas/list',
        body: { all_states: false, resolve_archives: true, resolve_parents: false, ...req },
        idempotent: true,
      }),
    /** `POST /replicas`: registers replicas on an RSE. */
    add: async (rse: string, files: ReplicaFileInput[], ignoreAvailability = true): Promise<void> => {
      await t.send({
        method: 'POST',
        path: '/replicas',
        body: { rse, files, ignore_availability: ignoreAvailability },
      });
    },
    /** `PUT /replicas`: changes replica states (e.g. to AVAILABLE after an upload). */
    updateStates: async (rse: string, files: ReplicaStateUpdate[]): Promise<void> => {
      await t.send({ method: 'PUT', path: '/replicas', body: { rse, files } });
    },
    /** `DELETE /replicas` */
    delete: async (rse: string, files: { scope: string; name: string }[], ignoreAvailability = true) => {
      await t.send({
        method: 'DELETE',
        path: '/replicas',
        body: { rse, files, ignore_availability: ignoreAvailability },
      });
    },
    /** `GET /replicas/{scope}/{name}`: replicas of one DID (files below it), streamed. */
    ofDid: (scope: string, name: string, opts: { schemes?: string[] } = {}): AsyncGenerator<ListedReplica> =>
      t.list<ListedReplica>({
        method: 'GET',
        path: `/replicas/${seg(scope)}/${seg(name)}`,
        query: { schemes: opts.schemes?.join(',') },
      }),
    /** `POST /replicas/tombstone`: marks replicas for deletion by the reaper. */
    setTombstones: async (replicas: TombstoneBody['replicas']): Promise<void> => {
      await t.send({ method: 'POST', path: '/replicas/tombstone', body: { replicas } });
    },
    /** `GET /replicas/{scope}/{name}/datasets`: where a dataset's replicas are, streamed. */
    datasetReplicas: (scope: string, name: string, deep = false): AsyncGenerator<DatasetReplica> =>
      t.list<DatasetReplica>({
        method: 'GET',
        path: `/replicas/${seg(scope)}/${seg(name)}/datasets`,
        query: { deep: deep ? 'True' : undefined },
      }),
  };
}
