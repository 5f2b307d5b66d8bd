/**
 * RFC 3820 chain verification on credentials made by the real grid tools (openssl, voms-proxy-init,
 * voms-proxy-fake, faketime), checked without TLS so each rule's reason is visible; the same files go
 * through HTTPS in auth-x509.test.ts.
 */
import { rmSync } from 'node:fs';
import t from 'tap';
import { loadCaDir } from '../src/auth/grid-ca.js';
import { parseChain, verifyProxyChain } from '../src/auth/proxy-chain.js';
import { normaliseX509Identity, stripProxyCns } from '../src/auth/x509-names.js';
import { vomsAttributes } from '../src/auth/x509-voms.js';
import { buildTestPki, JANE_DN, pemCertificates } from './support/pki.js';

const pki = await buildTestPki();
t.teardown(() => rmSync(pki.dir, { recursive: true, force: true }));
const store = await loadCaDir(pki.caDir);

const verify = (name: string) => verifyProxyChain(parseChain(pemCertificates(pki.creds[name])), store);

t.test('CA directory in grid layout', async (t) => {
  t.equal(store.cas.length, 1);
  t.equal(store.crls.length, 1);
  t.same(store.problems, []);
});

t.test('accepted chains', async (t) => {
  const cases: Array<[string, number, boolean]> = [
    ['user-cred', 0, false],
    ['proxy', 1, false],
    ['p2', 2, false],
    ['p3', 3, false],
    ['pl0', 1, false],
    ['limited', 1, true],
    ['limited-child', 2, true],
    ['vproxy', 1, false],
  ];
  for (const [name, proxies, limited] of cases) {
    const v = await verify(name);
    t.equal(v.dn, JANE_DN, `${name}: identity is the EEC subject`);
    t.equal(v.proxies, proxies, `${name}: ${proxies} proxies`);
    t.equal(v.limited, limited, `${name}: limited=${limited}`);
    t.equal(stripProxyCns(v.leafDn), JANE_DN, `${name}: Rucio's proxy CN stripping gives the same DN`);
    t.ok(v.notAfter.getTime() > Date.now(), `${name}: notAfter in the future`);
  }
});

t.test('rejected chains, each with its reason', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['expired-cred', /certificate \/DC=org\/DC=oxbow\/OU=Users\/CN=Expired User expired on 2020-01-02/],
    ['expired-proxy', /proxy .*CN=Jane Doe\/CN=\d+ expired on/],
    ['expired-eec-proxy', /Expired User (expired|is not valid)/],
    ['revoked-cred', /Revoked User \(serial [0-9a-f]+\) was revoked by \/DC=org\/DC=oxbow\/CN=Oxbow Test CA/],
    ['revoked-proxy', /Revoked User .* was revoked/],
    ['pl0child', /proxy path length constraint 0 exceeded/],
    ['subj-other', /its subject must be its issuer's subject .*CN=Jane Doe plus exactly one CN/],
    ['subj-two-cn', /plus exactly one CN/],
    ['vproxy-newsubject', /plus exactly one CN/],
    ['wrong-key', /its signature was not made by its issuer/],
    ['rogue-cred', /unknown CA: \/DC=org\/DC=rogue\/CN=Rogue CA/],
    ['rogue-proxy', /unknown CA: \/DC=org\/DC=rogue\/CN=Rogue CA/],
    ['ca-proxy', /a proxy may not be a CA/],
    ['noncritical-proxy', /ProxyCertInfo extension must be critical/],
    ['limited-escalate', /a limited proxy can only sign limited proxies/],
  ];
  for (const [name, reason] of cases) {
    await t.rejects(verify(name), { name: 'CannotAuthenticate', status: 401, message: reason }, name);
  }
  // Only the leaf of a proxy whose issuer is missing (what TLS hands over when the issuer does not link).
  const leafOnly = parseChain(pemCertificates(pki.creds['wrong-key']).slice(0, 1));
  await t.rejects(verifyProxyChain(leafOnly, store), { message: /arrived without its issuer/ });
  await t.rejects(verifyProxyChain([], store), { message: /no client certificate/ });
});

t.test('CRL missing or stale', async (t) => {
  const noCrl = { ...store, crls: [] };
  await t.rejects(verifyProxyChain(parseChain(pemCertificates(pki.creds['user-cred'])), noCrl), {
    message: /no valid CRL of \/DC=org\/DC=oxbow\/CN=Oxbow Test CA/,
  });
  const later = new Date(Date.now() + 40 * 86400_000);
  await t.rejects(verifyProxyChain(parseChain(pemCertificates(pki.creds['user-cred'])), store, later), {
    message: /CRL of .* expired/,
  });
});

t.test('VOMS attributes', async (t) => {
  const v = await verify('vproxy');
  const attrs = await vomsAttributes(v, store, pki.vomsDir);
  t.same(attrs, { vo: 'oxbow', fqans: ['/oxbow/Role=production', '/oxbow/data'] });
  const noDir = await vomsAttributes(v, store, undefined);
  t.same(noDir.fqans, []);
  t.match(noDir.rejected, /no VOMS directory/);
  const emptyDir = await vomsAttributes(v, store, pki.dir);
  t.match(emptyDir.rejected, /not listed in .*\.lsc/);
  const expiredAc = await vomsAttributes(await verify('vproxy-expired-ac'), store, pki.vomsDir);
  t.same(expiredAc.fqans, []);
  t.match(expiredAc.rejected, /attribute certificate is valid only from/);
  t.same(await vomsAttributes(await verify('proxy'), store, pki.vomsDir), { vo: null, fqans: [] });
});

t.test('DN forms', async (t) => {
  t.equal(normaliseX509Identity('CN=Jane Doe,OU=Users,DC=oxbow,DC=org'), JANE_DN);
  t.equal(normaliseX509Identity('CN=Jane Doe, OU=Users, DC=oxbow, DC=org'), JANE_DN);
  t.equal(normaliseX509Identity(` ${JANE_DN} `), JANE_DN);
  t.equal(normaliseX509Identity('DC=org,DC=oxbow,OU=Users,CN=Jane Doe'), JANE_DN);
  t.equal(
    normaliseX509Identity('UID=hmuster,E=hans@example.org,CN=Hans Mustermann,OU=Uni,O=GermanGrid,C=DE'),
    '/C=DE/O=GermanGrid/OU=Uni/CN=Hans Mustermann/emailAddress=hans@example.org/UID=hmuster',
  );
  t.equal(normaliseX509Identity('CN=Doe\\, Jane,O=Example'), '/O=Example/CN=Doe, Jane');
  t.equal(normaliseX509Identity('CN=J\\C3\\A9r\\C3\\B4me,O=Example'), '/O=Example/CN=Jérôme');
  t.throws(() => normaliseX509Identity('Jane Doe'), { name: 'IdentityError' });
  t.throws(() => normaliseX509Identity('CN=,O=x'), { name: 'IdentityError' });
  t.equal(stripProxyCns(`${JANE_DN}/CN=123/CN=limited proxy`), JANE_DN);
  t.equal(stripProxyCns(`CN=123,CN=proxy,${'CN=Jane Doe,DC=org'}`), 'CN=Jane Doe,DC=org');
});
