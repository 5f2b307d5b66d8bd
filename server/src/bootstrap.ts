/** First-start set-up: the root account with a password, and the embedded POSIX RSEs. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomPassword } from './auth/passwords.js';
import { addIdentity } from './catalog/accounts.js';
import { addEmbeddedRses } from './catalog/embedded-rses.js';
import type { CatalogDb } from './db/connect.js';
import { now } from './http/dates.js';

export interface BootstrapResult {
  /** Set only when this start created the root account with a generated password. */
  generatedRootPassword?: string;
  createdRoot: boolean;
}

/** Creates root (and, for the embedded default, two POSIX RSEs) if the catalog is new. */
export async function bootstrap(
  catalog: CatalogDb,
  opts: { rootPassword?: string; dataDir?: string; embeddedRses?: boolean },
): Promise<BootstrapResult> {
  const db = catalog.db;
  const root = await db
    .selectFrom('accounts')
    .select('account')
    .where('account', '=', 'root')
    .executeTakeFirst();
  if (root) return { createdRoot: false };
  const password = opts.rootPassword ?? randomPassword();
  const t = now();
  await db
    .insertInto('accounts')
    .values({
      account: 'root',
      account_type: 'SERVICE',
      status: 'ACTIVE',
      email: null,
      created_at: t,
      updated_at: t,
      suspended_at: null,
      deleted_at: null,
    })
    .execute();
  await addIdentity(db, { account: 'root', identity: 'root', type: 'USERPASS', password, isDefault: true });
  if (opts.embeddedRses && opts.dataDir) {
    const base = join(opts.dataDir, 'rses');
    mkdirSync(base, { recursive: true });
    await addEmbeddedRses(db, base);
  }
  return { createdRoot: true, generatedRootPassword: opts.rootPassword ? undefined : password };
}
