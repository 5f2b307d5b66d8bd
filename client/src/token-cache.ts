/**
 * Token caches: in memory for one process, and optionally in files (mode 0600, folder 0700) so that
 * successive `oxbow` commands reuse a token instead of sending the password every time.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenGrant } from './auth.js';

/** Where tokens are kept between calls. */
export interface TokenCache {
  get(key: string): TokenGrant | undefined;
  set(key: string, grant: TokenGrant): void;
  delete(key: string): void;
}

/** A per-process cache. */
export function memoryTokenCache(): TokenCache {
  const map = new Map<string, TokenGrant>();
  return {
    get: (key) => map.get(key),
    set: (key, grant) => void map.set(key, grant),
    delete: (key) => void map.delete(key),
  };
}

/** One file per identity under `dir`; unreadable or corrupt files are treated as absent. */
export function fileTokenCache(dir: string): TokenCache {
  const file = (key: string) => join(dir, `token-${key}.json`);
  return {
    get(key) {
      try {
        const g = JSON.parse(readFileSync(file(key), 'utf8')) as Partial<TokenGrant>;
        if (typeof g.token !== 'string' || typeof g.expiresAt !== 'number') return undefined;
        return { token: g.token, expiresAt: g.expiresAt, account: g.account };
      } catch {
        return undefined;
      }
    },
    set(key, grant) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        // Write-then-rename so a concurrent reader never sees half a token; 0600 from creation on.
        const tmp = `${file(key)}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(grant), { mode: 0o600 });
        chmodSync(tmp, 0o600);
        renameSync(tmp, file(key));
      } catch {
        // A read-only home must not break commands: the token stays cached in memory only.
      }
    },
    delete(key) {
      rmSync(file(key), { force: true });
    },
  };
}

/** Memory in front of an optional file cache. */
export function layeredTokenCache(file?: TokenCache): TokenCache {
  const mem = memoryTokenCache();
  return {
    get(key) {
      const hit = mem.get(key);
      if (hit) return hit;
      const fromFile = file?.get(key);
      if (fromFile) mem.set(key, fromFile);
      return fromFile;
    },
    set(key, grant) {
      mem.set(key, grant);
      file?.set(key, grant);
    },
    delete(key) {
      mem.delete(key);
      file?.delete(key);
    },
  };
}
