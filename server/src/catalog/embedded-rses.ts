/** The two local POSIX RSEs of the embedded default. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Creates LOCAL_DISK1 and LOCAL_DISK2 under `base` (placeholder until the RSE catalog lands). */
export async function addEmbeddedRses(_db: Kysely<Database>, _base: string): Promise<void> {}
