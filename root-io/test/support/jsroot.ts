import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./jsroot-dump.js', import.meta.url));

/** Per-branch summary computed by JSROOT over the concatenation of the files' entries. */
export interface JsrootDump {
  entries: number;
  className?: string;
  title?: string;
  branches: Record<string, { count: number; hash: string; sum: number }>;
  objects: Record<string, Record<string, unknown>>;
  keys: { path: string; className: string; cycle: number; title: string }[];
  /** Every entry's value per branch, when asked with `values`. */
  values: Record<string, unknown[]>;
}

/** Reads files with JSROOT in a child process (with a timeout) and returns its summary. */
export function jsrootDump(
  spec: {
    files: string[];
    tree?: string;
    objects?: string[];
    listKeys?: boolean;
    values?: boolean;
    firstEntry?: number;
    numEntries?: number;
  },
  timeoutMs = 120_000,
): Promise<JsrootDump> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, JSON.stringify(spec)],
      { timeout: timeoutMs, maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`JSROOT failed on ${spec.files.join(', ')}: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as JsrootDump);
      },
    );
  });
}

/** Path of a file of the shared ROOT corpus. */
export function corpus(name: string): string {
  return `/work/shared/data/root/${name}`;
}
