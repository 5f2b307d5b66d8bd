import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live (not zombie) processes whose command line contains `needle`, read from /proc. */
export function pidsMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (!cmd.includes(needle)) continue;
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))?.[1];
      if (state !== 'Z') out.push(Number(e));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
