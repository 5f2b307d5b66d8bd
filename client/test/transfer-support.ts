/**
 * Support for the transfer tests: the XRootD starter of rse-adapters' own tests (loaded from its
 * compiled output, so both packages test against the same server set-up), RSE definitions, files.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type * as RseServers from '../../rse-adapters/test/servers.js';
import type { OxbowClient } from '../src/index.js';

/** rse-adapters' test servers (xrootd, nginx, s3rver), from its dist/test (built by `tsc -b client`). */
export async function rseTestServers(): Promise<typeof RseServers> {
  // client/dist/test → /…/rse-adapters/dist/test/servers.js
  const url = new URL('../../../rse-adapters/dist/test/servers.js', import.meta.url);
  return (await import(url.href)) as typeof RseServers;
}

const made: string[] = [];
process.once('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp directory, removed when the test process exits. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `oxbow-transfer-${tag}-`));
  made.push(d);
  return d;
}

/** Writes deterministic pseudo-random bytes (different per seed) and returns them. */
export function writeBytes(path: string, size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  writeFileSync(path, buf);
  return buf;
}

/**
 * adler32 written independently of the code under test (the plain definition, byte by byte), as
 * Rucio formats it: 8 lowercase hex digits.
 */
export function referenceAdler32(buf: Uint8Array): string {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b * 65536 + a) >>> 0).toString(16).padStart(8, '0');
}

/** md5 hex of bytes. */
export function md5(buf: Uint8Array | string): string {
  return createHash('md5').update(buf).digest('hex');
}

/** Rucio's deterministic path, computed here from its definition (scope dirs for user./group., md5 of scope:name). */
export function rucioPath(scope: string, name: string): string {
  const h = md5(`${scope}:${name}`);
  const dir = /^(user|group)/.test(scope) ? scope.split('.').join('/') : scope;
  return `${dir}/${h.slice(0, 2)}/${h.slice(2, 4)}/${name}`;
}

/** Every file below a directory, relative paths, sorted. */
export async function walkFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const rec = async (dir: string) => {
    let ents: import('node:fs').Dirent[];
    try {
      ents = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await rec(p);
      else out.push(relative(root, p));
    }
  };
  await rec(root);
  return out.sort();
}

/** Adds a deterministic disk RSE with one root:// protocol on a local xrootd. */
export async function addRootRse(
  client: OxbowClient,
  rse: string,
  port: number,
  prefix: string,
  priority = 1,
): Promise<void> {
  await client.rses.add(rse, { deterministic: true, rse_type: 'DISK' });
  await client.rses.addProtocol(rse, {
    scheme: 'root',
    hostname: '127.0.0.1',
    port,
    prefix,
    impl: 'rucio.rse.protocols.xrootd.Default',
    domains: {
      lan: { read: priority, write: priority, delete: priority },
      wan: { read: priority, write: priority, delete: priority },
    },
  });
}

/** Prefix directory of an embedded RSE's file protocol. */
export async function posixPrefix(client: OxbowClient, rse: string): Promise<string> {
  const p = (await client.rses.protocols(rse)).find((x) => x.scheme === 'file');
  if (!p) throw new Error(`${rse} has no file protocol`);
  return p.prefix;
}
