/** Runs the real `oxbow` command (bin/oxbow.js) as a child process. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { startTestServer, TEST_ROOT_PASSWORD, type TestServer } from '@oxbow/server/testing/index';

/** Path of the `oxbow` entry script. */
export const OXBOW_BIN = fileURLToPath(new URL('../../bin/oxbow.js', import.meta.url));

/** Result of one command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON lines. */
  lines(): unknown[];
  /** stdout as one JSON document. */
  json(): unknown;
}

/** A fresh HOME so token files and default config files of tests never mix. */
export function freshHome(): string {
  return mkdtempSync(join(tmpdir(), 'oxbow-cli-home-'));
}

/** Environment with only what the CLI needs (no OXBOW_* leaking from the caller). */
export function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: freshHome() };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs `oxbow …args` and collects its output. */
export function oxbow(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OXBOW_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.stdin.end(input ?? '');
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        lines: () =>
          stdout
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as unknown),
        json: () => JSON.parse(stdout) as unknown,
      }),
    );
  });
}

/** stderr without Node's deprecation warnings printed by dependencies. */
export function reason(r: RunResult): string {
  return r.stderr
    .split('\n')
    .filter(
      (l) =>
        l !== '' && !/DeprecationWarning|FastifyDeprecation|--trace-warnings|--trace-deprecation/.test(l),
    )
    .join('\n');
}
