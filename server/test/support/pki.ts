/**
 * A throwaway grid PKI made with the real tools: openssl for the CA, certificates, CRL and the
 * negative-case proxies, voms-proxy-init for RFC 3820 proxies and voms-proxy-fake for VOMS proxies,
 * faketime for expired ones. Layout as /etc/grid-security: `certificates/HASH.0`, `HASH.r0`, `vomsdir/`.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'undici';

const run = promisify(execFile);

const CA_CNF = `[ ca ]
default_ca = testca
[ testca ]
dir = ./ca
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = ./ca.pem
private_key = ./ca.key
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
preserve = yes
[ policy_any ]
domainComponent = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_user ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment,dataEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
[ v3_host ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[ crl_ext ]
authorityKeyIdentifier = keyid:always
`;

const PROXY_CNF = `[ req ]
distinguished_name = dn
[ dn ]
[ proxy ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
proxyCertInfo = critical,language:id-ppl-inheritAll
[ proxy_pl0 ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
proxyCertInfo = critical,language:id-ppl-inheritAll,pathlen:0
[ proxy_limited ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
proxyCertInfo = critical,language:1.3.6.1.4.1.3536.1.1.1.9
[ proxy_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyEncipherment
proxyCertInfo = critical,language:id-ppl-inheritAll
[ proxy_noncritical ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
proxyCertInfo = language:id-ppl-inheritAll
[ not_proxy ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
`;

export const JANE_DN = '/DC=org/DC=oxbow/OU=Users/CN=Jane Doe';
export const NOBODY_DN = '/DC=org/DC=oxbow/OU=Users/CN=Nobody Mapped';
export const VOMS_DN = '/DC=org/DC=oxbow/OU=Services/CN=voms.oxbow.test';
export const CA_DN = '/DC=org/DC=oxbow/CN=Oxbow Test CA';

/** Paths of everything the PKI holds; a "credential" file has cert, key and chain (grid proxy layout). */
export interface TestPki {
  dir: string;
  caDir: string;
  vomsDir: string;
  caPem: string;
  host: { cert: string; key: string };
  /** name → PEM file with certificate(s) and key, usable as both `cert` and `key` by a TLS client. */
  creds: Record<string, string>;
  /** Stdout/stderr of the grid tools, for diagnosing a failed build. */
  log: string[];
}

/** Builds the PKI in a new temporary folder (about 5-10 s: ~25 RSA keys). */
export async function buildTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-pki-'));
  const log: string[] = [];
  const sh = async (
    cmd: string,
    args: string[],
    opts: { env?: Record<string, string>; okCodes?: number[] } = {},
  ) => {
    try {
      const r = await run(cmd, args, {
        cwd: dir,
        env: { ...process.env, RANDFILE: '/dev/null', ...opts.env },
      });
      log.push(`$ ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
      return r.stdout;
    } catch (e) {
      const err = e as Error & { code?: number; stdout?: string; stderr?: string };
      log.push(`$ ${cmd} ${args.join(' ')} → ${err.code}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      if (opts.okCodes?.includes(err.code ?? -1)) return err.stdout ?? '';
      throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
    }
  };
  writeFileSync(join(dir, 'ca.cnf'), CA_CNF);
  writeFileSync(join(dir, 'proxy.cnf'), PROXY_CNF);
  mkdirSync(join(dir, 'ca', 'newcerts'), { recursive: true });
  mkdirSync(join(dir, 'certificates'));
  writeFileSync(join(dir, 'ca', 'index.txt'), '');
  writeFileSync(join(dir, 'ca', 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca', 'crlnumber'), '1000\n');
  await sh('openssl', [
    'req',
    '-x509',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '3650',
    '-config',
    'ca.cnf',
    '-extensions',
    'v3_ca',
    '-subj',
    CA_DN,
  ]);

  const issue = async (name: string, dn: string, ext: string, extra: string[] = []) => {
    await sh('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-config',
      'ca.cnf',
      '-subj',
      dn,
    ]);
    await sh('openssl', [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-extensions',
      ext,
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.pem`,
      '-notext',
      ...extra,
    ]);
    chmodSync(join(dir, `${name}.key`), 0o600);
  };
  await issue('host', '/DC=org/DC=oxbow/OU=Hosts/CN=localhost', 'v3_host');
  await issue('user', JANE_DN, 'v3_user');
  await issue('nobody', NOBODY_DN, 'v3_user');
  await issue('revoked', '/DC=org/DC=oxbow/OU=Users/CN=Revoked User', 'v3_user');
  await issue('expired', '/DC=org/DC=oxbow/OU=Users/CN=Expired User', 'v3_user', [
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
  ]);
  await issue('voms', VOMS_DN, 'v3_host');
  await sh('openssl', [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-revoke',
    'revoked.pem',
    '-crl_reason',
    'keyCompromise',
  ]);
  await sh('openssl', [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-gencrl',
    '-crlexts',
    'crl_ext',
    '-out',
    'crl.pem',
  ]);
  const hash = (await sh('openssl', ['x509', '-in', 'ca.pem', '-noout', '-hash'])).trim();
  writeFileSync(join(dir, 'certificates', `${hash}.0`), readFileSync(join(dir, 'ca.pem')));
  writeFileSync(join(dir, 'certificates', `${hash}.r0`), readFileSync(join(dir, 'crl.pem')));
  mkdirSync(join(dir, 'vomsdir', 'oxbow'), { recursive: true });
  writeFileSync(join(dir, 'vomsdir', 'oxbow', 'voms.oxbow.test.lsc'), `${VOMS_DN}\n${CA_DN}\n`);

  // A CA nobody trusts, with its own "Jane Doe".
  await sh('openssl', [
    'req',
    '-x509',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'rogueca.key',
    '-out',
    'rogueca.pem',
    '-days',
    '30',
    '-config',
    'ca.cnf',
    '-extensions',
    'v3_ca',
    '-subj',
    '/DC=org/DC=rogue/CN=Rogue CA',
  ]);
  await sh('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'rogueuser.key',
    '-out',
    'rogueuser.csr',
    '-config',
    'ca.cnf',
    '-subj',
    JANE_DN,
  ]);
  await sh('openssl', [
    'x509',
    '-req',
    '-in',
    'rogueuser.csr',
    '-CA',
    'rogueca.pem',
    '-CAkey',
    'rogueca.key',
    '-set_serial',
    '77',
    '-days',
    '30',
    '-extfile',
    'ca.cnf',
    '-extensions',
    'v3_user',
    '-out',
    'rogueuser.pem',
  ]);

  const creds: Record<string, string> = {};
  const cat = (out: string, files: string[]) => {
    writeFileSync(join(dir, out), files.map((f) => readFileSync(join(dir, f), 'utf8')).join(''), {
      mode: 0o600,
    });
    creds[out.replace(/\.pem$/, '')] = join(dir, out);
  };
  cat('user-cred.pem', ['user.pem', 'user.key']);
  cat('nobody-cred.pem', ['nobody.pem', 'nobody.key']);
  cat('revoked-cred.pem', ['revoked.pem', 'revoked.key']);
  cat('expired-cred.pem', ['expired.pem', 'expired.key']);
  cat('rogue-cred.pem', ['rogueuser.pem', 'rogueuser.key']);

  // Proxies from the grid tools.
  const vpi = (out: string, extra: string[], certKey = ['user.pem', 'user.key']) =>
    sh(
      'voms-proxy-init',
      [
        '-q',
        '-rfc',
        '-cert',
        certKey[0],
        '-key',
        certKey[1],
        '-certdir',
        'certificates',
        '-out',
        out,
        ...extra,
      ],
      {
        env: { X509_CERT_DIR: join(dir, 'certificates') },
      },
    );
  await vpi('proxy.pem', []);
  await vpi('limited.pem', ['-limited']);
  await vpi('pl0.pem', ['-path-length', '0']);
  await sh(
    'voms-proxy-fake',
    [
      '-q',
      '-rfc',
      '-cert',
      'user.pem',
      '-key',
      'user.key',
      '-certdir',
      'certificates',
      '-hostcert',
      'voms.pem',
      '-hostkey',
      'voms.key',
      '-voms',
      'oxbow',
      '-uri',
      'voms.oxbow.test:15000',
      '-fqan',
      '/oxbow/Role=production',
      '-fqan',
      '/oxbow/data',
      '-hours',
      '12',
      '-out',
      'vproxy.pem',
    ],
    {
      env: { X509_CERT_DIR: join(dir, 'certificates') },
    },
  );
  await sh(
    'voms-proxy-fake',
    [
      '-q',
      '-rfc',
      '-cert',
      'user.pem',
      '-key',
      'user.key',
      '-certdir',
      'certificates',
      '-hostcert',
      'voms.pem',
      '-hostkey',
      'voms.key',
      '-voms',
      'oxbow',
      '-uri',
      'voms.oxbow.test:15000',
      '-fqan',
      '/oxbow/Role=production',
      '-hours',
      '12',
      '-vomslife',
      '1',
      '-pastac',
      '48:00',
      '-out',
      'vproxy-expired-ac.pem',
    ],
    {
      env: { X509_CERT_DIR: join(dir, 'certificates') },
    },
  );
  await sh(
    'voms-proxy-fake',
    [
      '-q',
      '-rfc',
      '-cert',
      'user.pem',
      '-key',
      'user.key',
      '-certdir',
      'certificates',
      '-hostcert',
      'voms.pem',
      '-hostkey',
      'voms.key',
      '-voms',
      'oxbow',
      '-uri',
      'voms.oxbow.test:15000',
      '-fqan',
      '/oxbow/Role=production',
      '-hours',
      '12',
      '-newsubject',
      '/DC=org/DC=oxbow/OU=Users/CN=John Smith/CN=999',
      '-out',
      'vproxy-newsubject.pem',
    ],
    {
      env: { X509_CERT_DIR: join(dir, 'certificates') },
    },
  );
  for (const f of ['proxy', 'limited', 'pl0', 'vproxy', 'vproxy-expired-ac', 'vproxy-newsubject'])
    creds[f] = join(dir, `${f}.pem`);

  // Proxies that voms-proxy-init cannot make (proxy of proxy) or refuses to make (bad ones): openssl.
  let serial = 4242;
  const mkproxy = async (
    out: string,
    issuerFile: string,
    issuerKey: string,
    opts: { ext?: string; subject?: string; faketime?: string } = {},
  ) => {
    const n = ++serial;
    const subject =
      opts.subject ??
      `${(await sh('openssl', ['x509', '-in', issuerFile, '-noout', '-subject', '-nameopt', 'compat'])).trim().replace(/^subject=/, '')}/CN=${n}`;
    const base = out.replace(/\.pem$/, '');
    await sh('openssl', ['genrsa', '-traditional', '-out', `${base}.key`, '2048']);
    await sh('openssl', [
      'req',
      '-new',
      '-key',
      `${base}.key`,
      '-subj',
      subject,
      '-out',
      `${base}.csr`,
      '-config',
      'proxy.cnf',
    ]);
    const x509Args = [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      issuerFile,
      '-CAkey',
      issuerKey,
      '-set_serial',
      String(n),
      '-days',
      '1',
      '-extfile',
      'proxy.cnf',
      '-extensions',
      opts.ext ?? 'proxy',
      '-out',
      `${base}.crt`,
    ];
    if (opts.faketime) await sh('faketime', ['-f', opts.faketime, 'openssl', ...x509Args]);
    else await sh('openssl', x509Args);
    const chain = (
      readFileSync(join(dir, issuerFile), 'utf8').match(
        /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g,
      ) ?? []
    ).join('');
    writeFileSync(
      join(dir, out),
      readFileSync(join(dir, `${base}.crt`), 'utf8') + readFileSync(join(dir, `${base}.key`), 'utf8') + chain,
      { mode: 0o600 },
    );
    creds[base] = join(dir, out);
  };
  await mkproxy('p2.pem', 'proxy.pem', 'proxy.pem');
  await mkproxy('p3.pem', 'p2.pem', 'p2.pem');
  await mkproxy('pl0child.pem', 'pl0.pem', 'pl0.pem');
  await mkproxy('subj-other.pem', 'user.pem', 'user.key', {
    subject: '/DC=org/DC=oxbow/OU=Users/CN=John Smith/CN=12345',
  });
  await mkproxy('subj-two-cn.pem', 'user.pem', 'user.key', { subject: `${JANE_DN}/CN=1/CN=2` });
  await mkproxy('expired-proxy.pem', 'user.pem', 'user.key', { faketime: '-2d' });
  await mkproxy('revoked-proxy.pem', 'revoked.pem', 'revoked.key');
  await mkproxy('expired-eec-proxy.pem', 'expired.pem', 'expired.key');
  await mkproxy('rogue-proxy.pem', 'rogueuser.pem', 'rogueuser.key');
  await mkproxy('limited-child.pem', 'limited.pem', 'limited.pem', { ext: 'proxy_limited' });
  await mkproxy('limited-escalate.pem', 'limited.pem', 'limited.pem');
  await mkproxy('ca-proxy.pem', 'user.pem', 'user.key', { ext: 'proxy_ca' });
  await mkproxy('noncritical-proxy.pem', 'user.pem', 'user.key', { ext: 'proxy_noncritical' });
  // Signed by another key: an impostor self-signed "Jane Doe" signs the proxy, the real EEC is shipped as its chain.
  await sh('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    JANE_DN,
    '-keyout',
    'imp.key',
    '-out',
    'imp.pem',
    '-days',
    '1',
    '-config',
    'ca.cnf',
    '-extensions',
    'v3_user',
  ]);
  await mkproxy('imp-proxy.pem', 'imp.pem', 'imp.key');
  const imp = readFileSync(join(dir, 'imp-proxy.pem'), 'utf8');
  const head = imp.slice(
    0,
    imp.indexOf('-----END RSA PRIVATE KEY-----') + '-----END RSA PRIVATE KEY-----\n'.length,
  );
  writeFileSync(join(dir, 'wrong-key.pem'), head + readFileSync(join(dir, 'user.pem'), 'utf8'), {
    mode: 0o600,
  });
  creds['wrong-key'] = join(dir, 'wrong-key.pem');

  return {
    dir,
    caDir: join(dir, 'certificates'),
    vomsDir: join(dir, 'vomsdir'),
    caPem: join(dir, 'ca.pem'),
    host: { cert: join(dir, 'host.pem'), key: join(dir, 'host.key') },
    creds,
    log,
  };
}

/** DER certificates of a PEM credential file, in file order (leaf first). */
export function pemCertificates(file: string): Buffer[] {
  const text = readFileSync(file, 'utf8');
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) =>
    Buffer.from(p.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
  );
}

/** An undici dispatcher trusting the test CA and presenting `credFile` (cert + key + chain) when given. */
export function tlsAgent(pki: TestPki, credFile?: string): Agent {
  const ca = readFileSync(pki.caPem, 'utf8');
  if (!credFile) return new Agent({ connect: { ca } });
  const pem = readFileSync(credFile, 'utf8');
  return new Agent({ connect: { ca, cert: pem, key: pem } });
}
