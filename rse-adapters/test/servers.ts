// Real storage servers for the tests, started on loopback with free ports and temp dirs.
// Set-ups follow shared/docs/endpoints.md (verified there on this kind of machine).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Server processes still running; killed if this process exits early (e.g. a tap timeout's SIGTERM). */
const live = new Map<ChildProcess, string>();
let exitHooked = false;

/** Remembers a server process so that it cannot outlive the test process. */
function track(proc: ChildProcess, dir: string): void {
  live.set(proc, dir);
  proc.once('exit', () => live.delete(proc));
  if (exitHooked) return;
  exitHooked = true;
  const killAll = () => {
    for (const [p, dir] of live) {
      p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => {
      killAll();
      process.exit(1);
    });
}

/** True when the tests run as root (then daemons drop to their service users). */
export const isRoot = process.getuid?.() === 0;

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (or rejects after timeoutMs). */
export async function waitForPort(
  port: number,
  timeoutMs = 10_000,
  proc?: ChildProcess,
  log?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (proc && proc.exitCode !== null) {
      const tail = log ? safeRead(log).slice(-2000) : '';
      throw new Error(`server exited with ${proc.exitCode} before listening on ${port}\n${tail}`);
    }
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** Fresh temp dir (removed by the returned cleanup). */
export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `oxbow-rse-${tag}-`));
}

/** Throwaway CA, host certificate (localhost/127.0.0.1) and client certificate, as in endpoints.md §0. */
export interface TestTls {
  dir: string;
  caPem: string;
  caDir: string;
  hostPem: string;
  hostKey: string;
  clientPem: string;
  clientKey: string;
}

/** Creates the test PKI with openssl (about a second). */
export function makeTestTls(dir: string): TestTls {
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Oxbow Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'host.key',
    '-out',
    'host.csr',
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    join(dir, 'host.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  run([
    'x509',
    '-req',
    '-in',
    'host.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'host.pem',
    '-days',
    '2',
    '-extfile',
    'host.ext',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'client.key',
    '-out',
    'client.csr',
    '-subj',
    '/DC=test/O=Oxbow/CN=Test User',
  ]);
  writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  run([
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
    '-extfile',
    'client.ext',
  ]);
  const caDir = join(dir, 'cadir');
  mkdirSync(caDir, { recursive: true });
  copyFileSync(join(dir, 'ca.pem'), join(caDir, 'ca.pem'));
  execFileSync('openssl', ['rehash', caDir], { stdio: 'ignore' });
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    caDir,
    hostPem: join(dir, 'host.pem'),
    hostKey: join(dir, 'host.key'),
    clientPem: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}

/** A running server and how to stop it. */
export interface RunningServer {
  dir: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Stops a child process: SIGTERM, then SIGKILL after a grace period. */
function stopProc(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill(signal);
  });
}

function chownTree(path: string, user: string): void {
  if (isRoot) execFileSync('chown', ['-R', `${user}:${user}`, path]);
}

/** XRootD data server with root:// and (with tls) XrdHttp HTTPS + HTTP-TPC on a second port. */
export interface XrootdServer extends RunningServer {
  rootPort: number;
  httpPort?: number;
}

/**
 * Standalone xrootd 5.5 (endpoints.md §1): no authentication, writable export, adler32 checksums,
 * root:// TPC via `xrdcp --server`. `readOnlyPath` adds an authdb making that subtree read-only
 * (writes get [3010] / HTTP 403), everything else allowed.
 */
export async function startXrootd(
  opts: { tls?: TestTls; readOnlyPath?: string; tag?: string } = {},
): Promise<XrootdServer> {
  const dir = tempDir(opts.tag ?? 'xrd');
  for (const d of ['data', 'run', 'admin', 'tls']) mkdirSync(join(dir, d), { recursive: true });
  const rootPort = await freePort();
  const httpPort = opts.tls ? await freePort() : undefined;
  const lines = [
    `xrd.port ${rootPort}`,
    'all.export / writable',
    `oss.localroot ${dir}/data`,
    `all.adminpath ${dir}/admin`,
    `all.pidpath ${dir}/run`,
    'xrootd.chksum adler32',
    'ofs.tpc pgm /usr/bin/xrdcp --server',
  ];
  if (opts.readOnlyPath) {
    writeFileSync(join(dir, 'authdb'), `u * ${opts.readOnlyPath} rl / a\n`);
    lines.push('ofs.authorize 1', `acc.authdb ${dir}/authdb`);
  }
  if (opts.tls) {
    copyFileSync(opts.tls.hostPem, join(dir, 'tls/host.pem'));
    copyFileSync(opts.tls.hostKey, join(dir, 'tls/host.key'));
    execFileSync('cp', ['-r', opts.tls.caDir, join(dir, 'cadir')]);
    lines.push(
      `xrd.protocol XrdHttp:${httpPort} libXrdHttp.so`,
      `http.cert ${dir}/tls/host.pem`,
      `http.key ${dir}/tls/host.key`,
      `http.cadir ${dir}/cadir`,
      'http.exthandler xrdtpc libXrdHttpTPC.so',
    );
  }
  writeFileSync(join(dir, 'xrootd.cfg'), `${lines.join('\n')}\n`);
  chownTree(dir, 'xrootd');
  if (opts.tls) chmodSync(join(dir, 'tls/host.key'), 0o400);
  const log = join(dir, 'xrootd.log');
  // xrootd refuses to run as root: -R drops to the Debian `xrootd` user.
  const args = [
    ...(isRoot ? ['-R', 'xrootd'] : []),
    '-c',
    join(dir, 'xrootd.cfg'),
    '-l',
    log,
    '-s',
    join(dir, 'run/xrootd.pid'),
  ];
  const proc = spawn('xrootd', args, { stdio: 'ignore' });
  track(proc, dir);
  await waitForPort(rootPort, 15_000, proc, log);
  if (httpPort) await waitForPort(httpPort, 15_000, proc, log);
  return {
    dir,
    dataDir: join(dir, 'data'),
    rootPort,
    httpPort,
    stop: async () => {
      await stopProc(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nginx WebDAV server with plain and TLS listeners. */
export interface NginxServer extends RunningServer {
  httpPort: number;
  httpsPort: number;
}

/**
 * nginx 1.22 with dav + dav_ext (endpoints.md §2). `/ro/` only allows reads (403 for writes),
 * standing in for a permission-denied storage area.
 */
export async function startNginx(tls: TestTls): Promise<NginxServer> {
  const dir = tempDir('nginx');
  // nginx workers (www-data) must be able to traverse the temp dir (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
  for (const d of ['data', 'data/ro', 'data/certonly', 'data/tokenonly', 'tmp', 'logs'])
    mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'data/ro/readme.bin'), 'read only area\n');
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const conf = `
load_module /usr/lib/nginx/modules/ngx_http_dav_ext_module.so;
daemon off;
master_process on;
worker_processes 1;
${isRoot ? 'user www-data;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  default_type application/octet-stream;
  sendfile on;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${httpPort};
    listen 127.0.0.1:${httpsPort} ssl;
    ssl_certificate ${tls.hostPem};
    ssl_certificate_key ${tls.hostKey};
    ssl_client_certificate ${tls.caPem};
    ssl_verify_client optional_no_ca;
    root ${dir}/data;
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
      dav_access user:rw group:rw all:r;
      add_header X-Client-Verify $ssl_client_verify always;
    }
    location /certonly/ {
      if ($ssl_client_verify != SUCCESS) { return 403; }
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
    }
    location /tokenonly/ {
      if ($http_authorization != "Bearer oxbow-test-token") { return 401; }
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
    }
    location /ro/ {
      dav_ext_methods PROPFIND OPTIONS;
      limit_except GET HEAD PROPFIND OPTIONS { deny all; }
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  if (isRoot) {
    chownTree(join(dir, 'data'), 'www-data');
    chownTree(join(dir, 'tmp'), 'www-data');
  }
  const log = join(dir, 'logs/error.log');
  const proc = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', log], { stdio: 'ignore' });
  track(proc, dir);
  await waitForPort(httpPort, 10_000, proc, log);
  await waitForPort(httpsPort, 10_000, proc, log);
  return {
    dir,
    dataDir: join(dir, 'data'),
    httpPort,
    httpsPort,
    stop: async () => {
      await stopProc(proc, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** s3rver running in this process. */
export interface S3Server extends RunningServer {
  port: number;
  bucket: string;
}

/** s3rver 3.7 (endpoints.md §3) with one bucket; its only key pair is S3RVER/S3RVER. */
export async function startS3rver(bucket = 'oxbow-test'): Promise<S3Server> {
  const dir = tempDir('s3');
  const port = await freePort();
  // s3rver is CommonJS without types.
  const mod = (await import('s3rver')) as unknown as { default: new (o: object) => S3rverInstance };
  const server = new mod.default({
    address: '127.0.0.1',
    port,
    directory: join(dir, 'data'),
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  await server.run();
  return {
    dir,
    dataDir: join(dir, 'data'),
    port,
    bucket,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<void>;
}
