/** The two local POSIX RSEs of the embedded default. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { addProtocol } from './rse-protocols.js';
import { addRse, setRseAttribute } from './rses.js';

/** Names of the embedded RSEs. */
export const EMBEDDED_RSES = ['LOCAL_DISK1', 'LOCAL_DISK2'] as const;

/**
 * Creates LOCAL_DISK1 and LOCAL_DISK2: deterministic disk RSEs whose `file` protocol (Rucio's posix
 * implementation, host 'localhost' as Rucio's default) has its prefix in a folder of `base`, with
 * every operation enabled in both domains so uploads, downloads and local third-party copies work.
 */
export async function addEmbeddedRses(db: Kysely<Database>, base: string): Promise<void> {
  for (const rse of EMBEDDED_RSES) {
    const prefix = resolve(join(base, rse));
    mkdirSync(prefix, { recursive: true });
    await addRse(db, rse, { deterministic: true, volatile: false, rse_type: 'DISK' });
    await setRseAttribute(db, rse, 'istape', false);
    await setRseAttribute(db, rse, 'lfn2pfn_algorithm', 'hash');
    await setRseAttribute(db, rse, 'verify_checksum', true);
    await setRseAttribute(db, rse, 'oxbow_embedded', true);
    await addProtocol(db, rse, 'file', {
      hostname: 'localhost',
      port: 0,
      prefix,
      impl: 'rucio.rse.protocols.posix.Default',
      domains: {
        lan: { read: 1, write: 1, delete: 1 },
        wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
      },
    });
  }
}
