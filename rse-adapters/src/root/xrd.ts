import { type ChildProcess, spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { StorageError, type StorageErrorCode } from '../errors.js';
import type { Credentials } from '../types.js';

/**
 * Environment for xrdfs/xrdcp. The XRD_* timeouts are always set: with the client defaults a dead
 * endpoint blocks for 8 minutes; with one connection retry in a short window it fails in ~0.1 s.
 */
export function xrdEnv(timeoutMs: number, creds: Credentials = {}): NodeJS.ProcessEnv {
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XRD_CONNECTIONRETRY: '1',
    XRD_CONNECTIONWINDOW: String(Math.min(secs, 10)),
    XRD_REQUESTTIMEOUT: String(secs),
    XRD_STREAMTIMEOUT: String(secs),
    XRD_TIMEOUTRESOLUTION: '1',
    // No retries behind our back: the caller decides whether to retry (maybe on another replica).
    XRD_STREAMERRORWINDOW: '0',
  };
  if (creds.x509Cert) {
    env.X509_USER_CERT = creds.x509Cert;
    env.X509_USER_KEY = creds.x509Key ?? creds.x509Cert;
    if (!creds.x509Key) env.X509_USER_PROXY = creds.x509Cert;
  }
  if (creds.caDir) env.X509_CERT_DIR = creds.caDir;
  if (creds.bearerToken) env.BEARER_TOKEN = creds.bearerToken;
  return env;
}

/** Classifies an xrdfs/xrdcp error message (kXR error numbers and client-side [FATAL] errors). */
export function classifyXrdMessage(msg: string): StorageErrorCode {
  if (/\[3011\]|no such file or directory|not found/i.test(msg)) return 'NOT_FOUND';
  if (/\[3010\]|\[3006\]|permission denied|not authorized|auth.*fail/i.test(msg)) return 'PERMISSION_DENIED';
  if (/\[3018\]|file exists/i.test(msg)) return 'ALREADY_EXISTS';
  if (/operation expired|timed? ?out|timeout/i.test(msg)) return 'TIMEOUT';
  if (/\[FATAL\]|connection (error|refused|reset)|socket error|broken pipe|stream error/i.test(msg))
    return 'CONNECTION';
  if (/\[30(0[3579]|12|24)\]|no space|server error|overloaded|i\/o error/i.test(msg)) return 'SERVER_ERROR';
  if (/checksum/i.test(msg) && /mismatch|differ/i.test(msg)) return 'CHECKSUM_MISMATCH';
  return 'PROTOCOL_ERROR';
}

/** StorageError from an xrd tool's message, keeping the message as the server's words. */
export function xrdError(what: string, target: string, msg: string, status?: number): StorageError {
  const clean = msg.replace(/\0/g, '').trim();
  const code = classifyXrdMessage(clean);
  return new StorageError(code, `${what} ${target}: ${clean || `exit code ${status}`}`, {
    target,
    serverMessage: clean,
    status,
  });
}

interface Pending {
  cmd: string;
  resolve: (out: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One long-lived interactive `xrdfs` process. Commands are written one per line and answered in
 * order; the end of an answer is the next prompt (`[host:port] / > `). stderr is merged into stdout
 * (through sh) so an error message always belongs to the command before the next prompt. Metadata
 * operations then cost a round trip instead of a process start (~60 ms each).
 */
export class XrdfsSession {
  private proc?: ChildProcess;
  private buf = '';
  private readonly prompt: string;
  private ready = false;
  private queue: Pending[] = [];
  private current?: Pending;

  constructor(
    private readonly hostPort: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs: number,
  ) {
    this.prompt = `[${hostPort}] / > `;
  }

  /** Runs one command; resolves with its output (echo and prompt removed), rejects on [ERROR]/[FATAL]. */
  run(cmd: string, what: string, target: string): Promise<string> {
    if (/[\r\n]/.test(cmd)) return Promise.reject(new StorageError('INVALID_ARGUMENT', `bad command ${cmd}`));
    return new Promise<string>((resolve, reject) => {
      const p: Pending = {
        cmd,
        resolve: (out) => {
          if (/^\s*(\[ERROR\]|\[FATAL\])|: \[(ERROR|FATAL)\]/m.test(out)) reject(xrdError(what, target, out));
          else resolve(out);
        },
        reject,
        timer: setTimeout(() => {
          // A command that never answers leaves the session in an unknown state: start afresh.
          this.kill(
            new StorageError('TIMEOUT', `${what} ${target}: no answer from xrdfs in ${this.timeoutMs} ms`),
          );
        }, this.timeoutMs + 2000),
      };
      p.timer.unref?.();
      this.queue.push(p);
      this.pump();
    });
  }

  private start(): void {
    this.buf = '';
    this.ready = false;
    const proc = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', 'xrdfs', `root://${this.hostPort}`], {
      env: this.env,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.proc = proc;
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      this.buf += d;
      this.drain();
    });
    proc.stdin!.on('error', () => undefined);
    proc.on('error', (err) => this.onExit(proc, err));
    proc.on('exit', (code) => this.onExit(proc, new Error(`xrdfs exited with code ${code}`)));
  }

  private onExit(proc: ChildProcess, err: Error): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    const e = new StorageError('CONNECTION', `xrdfs session to ${this.hostPort} ended: ${err.message}`, {
      cause: err,
    });
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(e);
      this.current = undefined;
    }
    if (!this.ready) {
      // Died before its first prompt (tool missing, bad environment): restarting would loop.
      for (const p of this.queue.splice(0)) {
        clearTimeout(p.timer);
        p.reject(e);
      }
      return;
    }
    // Queued commands get a fresh process.
    if (this.queue.length) this.pump();
  }

  private drain(): void {
    for (;;) {
      const i = this.buf.indexOf(this.prompt);
      if (i < 0) return;
      const chunk = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + this.prompt.length);
      if (!this.ready) {
        this.ready = true;
      } else if (this.current) {
        const c = this.current;
        this.current = undefined;
        clearTimeout(c.timer);
        // The answer starts with the echoed command line.
        const nl = chunk.indexOf('\n');
        const first = nl < 0 ? chunk : chunk.slice(0, nl);
        c.resolve(first.trim() === c.cmd.trim() ? chunk.slice(nl + 1) : chunk);
      }
      this.pump();
    }
  }

  private pump(): void {
    if (this.current || !this.queue.length) return;
    if (!this.proc) {
      this.start();
      return;
    }
    if (!this.ready) return;
    this.current = this.queue.shift()!;
    this.proc.stdin!.write(`${this.current.cmd}\n`);
  }

  private kill(err: Error): void {
    const proc = this.proc;
    this.proc = undefined;
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(err);
      this.current = undefined;
    }
    proc?.kill('SIGKILL');
    if (this.queue.length) this.pump();
  }

  /** Ends the process; queued commands are rejected. */
  close(): void {
    const err = new StorageError('ABORTED', 'xrdfs session closed');
    for (const p of this.queue) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.queue = [];
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(err);
      this.current = undefined;
    }
    const proc = this.proc;
    this.proc = undefined;
    if (proc) {
      proc.stdin?.end('exit\n');
      setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
    }
  }
}

/** Result of a finished child process. */
export interface ProcResult {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Runs a tool to completion, capturing (bounded) output; honours an AbortSignal. */
export function runTool(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { signal?: AbortSignal; stdin?: NodeJS.ReadableStream; timeoutMs?: number } = {},
): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, {
      env,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 65536) stdout += d;
    });
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 65536) stderr += d;
    });
    if (opts.stdin) {
      // If the source fails, the tool must not wait for input forever: kill it.
      pipeline(opts.stdin, proc.stdin!).catch(() => proc.kill('SIGKILL'));
    }
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}
