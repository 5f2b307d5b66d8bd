/** The daemons and how a server or `oxbow daemon NAME` starts them. */
import type { CatalogDb } from '../db/connect.js';
import { judgeDaemon } from './judge.js';
import type { Daemon } from './loop.js';
import { reaperDaemon } from './reaper.js';
import { transferDaemon } from './transfer.js';
import { undertakerDaemon } from './undertaker.js';

export type { Daemon } from './loop.js';

/** Names of the daemons, in start order. */
export const DAEMON_NAMES = ['judge', 'transfer', 'reaper', 'undertaker'] as const;
export type DaemonName = (typeof DAEMON_NAMES)[number];

/** Daemons named by a `--daemons` value: `all`, `none` or a comma list; a clear error for unknown names. */
export function parseDaemonList(spec: string | undefined): DaemonName[] {
  const s = (spec ?? 'all').trim();
  if (s === '' || s === 'none') return [];
  if (s === 'all') return [...DAEMON_NAMES];
  const names = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const n of names)
    if (!(DAEMON_NAMES as readonly string[]).includes(n))
      throw new Error(
        `unknown daemon '${n}' in '${spec}': use all, none or a list of ${DAEMON_NAMES.join(', ')}`,
      );
  return [...new Set(names)] as DaemonName[];
}

/** Options passed through to the daemons. */
export interface DaemonOptions {
  log?: (rec: Record<string, unknown>) => void;
  /** Transfers at once in the transfer daemon. */
  concurrency?: number;
  /** Transfer claim lease (ms). */
  leaseMs?: number;
  /** Polling intervals (ms) per daemon. */
  intervalMs?: Partial<Record<DaemonName, number>>;
  backoffBaseMs?: number;
  /** Do not poll; steps run only through runOnce. */
  manual?: boolean;
  /** Reaper: delete every expired unlocked replica, whatever the free space (Rucio's --greedy). */
  greedy?: boolean;
}

/** Starts one daemon. */
export function startDaemon(catalog: CatalogDb, name: DaemonName, o: DaemonOptions = {}): Daemon {
  const intervalMs = o.intervalMs?.[name];
  switch (name) {
    case 'judge':
      return judgeDaemon(catalog, { log: o.log, intervalMs, manual: o.manual });
    case 'transfer':
      return transferDaemon(catalog, {
        log: o.log,
        intervalMs,
        concurrency: o.concurrency,
        leaseMs: o.leaseMs,
        backoffBaseMs: o.backoffBaseMs,
        manual: o.manual,
      });
    case 'reaper':
      return reaperDaemon(catalog, { log: o.log, intervalMs, manual: o.manual, greedy: o.greedy });
    case 'undertaker':
      return undertakerDaemon(catalog, { log: o.log, intervalMs, manual: o.manual });
  }
}

/** Starts the named daemons; `stop()` stops them all and waits for their current steps. */
export function startDaemons(catalog: CatalogDb, names: readonly DaemonName[], o: DaemonOptions = {}) {
  const running: Daemon[] = names.map((n) => startDaemon(catalog, n, o));
  return {
    daemons: running,
    async stop() {
      await Promise.all(running.map((d) => d.stop()));
    },
  };
}
