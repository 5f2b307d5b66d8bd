/**
 * The permission matrix: every kind of caller against every kind of operation, written out here by
 * hand (not derived from the rule table) so a change of the table shows up as a failing cell.
 */
import t from 'tap';
import { storageScopes } from '../src/auth/oidc.js';
import type { Caller } from '../src/context.js';
import { type CallerCredential, fqanGroups } from '../src/permissions/caller.js';
import { check, perm, requireRead, requireStorageChange } from '../src/permissions/policy.js';
import {
  decide,
  effectiveAdmin,
  type Operation,
  pathCovers,
  RULES,
  type Target,
} from '../src/permissions/rules.js';

const ADMIN_GROUPS = ['/oxbow/Role=production', '/oxbow/admins'];
function caller(account: string, accountIsAdmin: boolean, credential: CallerCredential): Caller {
  return {
    account,
    identity: null,
    authType: credential.method,
    vo: 'def',
    credential,
    isAdmin: effectiveAdmin(accountIsAdmin, credential, ADMIN_GROUPS),
  };
}

const CALLERS = {
  root: caller('root', true, { method: 'userpass' }),
  user: caller('jdoe', false, { method: 'userpass' }),
  proxy: caller('jdoe', false, { method: 'x509_proxy' }),
  limited: caller('jdoe', false, { method: 'x509_proxy', limited: true }),
  limitedAdmin: caller('root', true, { method: 'x509_proxy', limited: true }),
  vomsProd: caller('jdoe', false, { method: 'x509_proxy', fqans: ['/oxbow/Role=production', '/oxbow/data'] }),
  vomsData: caller('jdoe', false, { method: 'x509_proxy', fqans: ['/oxbow/data/Role=NULL/Capability=NULL'] }),
  tokCreate: caller('jdoe', false, {
    method: 'oidc',
    storage: storageScopes(['storage.read:/', 'storage.create:/user.jdoe']),
  }),
  tokRead: caller('jdoe', false, { method: 'oidc', storage: storageScopes(['storage.read:/user.jdoe']) }),
  tokModify: caller('jdoe', false, {
    method: 'oidc',
    storage: storageScopes(['storage.modify:/user.jdoe/data']),
  }),
  tokNoStorage: caller('jdoe', false, { method: 'oidc', scopes: ['openid'], groups: ['/oxbow'] }),
  tokAdminGroup: caller('jdoe', false, { method: 'oidc', groups: ['/oxbow', '/oxbow/admins'] }),
  tokAdminRead: caller('root', true, { method: 'oidc', storage: storageScopes(['storage.read:/']) }),
};
type CallerName = keyof typeof CALLERS;
const NAMES = Object.keys(CALLERS) as CallerName[];

const own = (name: string) => ({ scopeOwner: 'jdoe', paths: [`/user.jdoe/${name}`] });
const OPS: Array<[string, Operation, Target]> = [
  ['add account', 'addAccount', {}],
  ['add RSE', 'addRse', {}],
  ['delete RSE', 'deleteRse', {}],
  ['add identity', 'addIdentity', {}],
  ['set account limit', 'setLimit', {}],
  ['add scope for itself', 'addScope', { account: 'jdoe' }],
  ['add scope for another', 'addScope', { account: 'alice' }],
  ['add DID in own scope', 'addDid', own('f1')],
  ['add DID in own scope under data/', 'addDid', own('data/f1')],
  ['add DID in a scope of another', 'addDid', { scopeOwner: 'alice', paths: ['/user.alice/f1'] }],
  ['set metadata in own scope', 'setMetadata', own('f1')],
  ['add replicas in own scope', 'addReplicas', own('f1')],
  ['read a DID of own scope', 'readDid', { paths: ['/user.jdoe/f1'] }],
  ['read a DID of another scope', 'readDid', { paths: ['/user.alice/f1'] }],
  ['delete replicas', 'deleteReplicas', { paths: ['/user.jdoe/f1'] }],
  ['add a rule for itself', 'addRule', { account: 'jdoe' }],
  ['add a rule for another', 'addRule', { account: 'alice' }],
  ['update own rule', 'updateRule', { account: 'jdoe' }],
  ['skip availability check', 'skipAvailabilityCheck', {}],
];

// Columns in the order of NAMES: root user proxy limited limitedAdmin vomsProd vomsData tokCreate tokRead tokModify tokNoStorage tokAdminGroup tokAdminRead
// biome-ignore format: the matrix is aligned by hand to be read as a table
const MATRIX: Record<string, string> = {
  'add account':                      'Y N N N N Y N N N N N Y Y',
  'add RSE':                          'Y N N N N Y N N N N N Y Y',
  'delete RSE':                       'Y N N N N Y N N N N N Y Y',
  'add identity':                     'Y N N N N Y N N N N N Y Y',
  'set account limit':                'Y N N N N Y N N N N N Y Y',
  'add scope for itself':             'Y Y Y N N Y Y Y Y Y Y Y Y',
  'add scope for another':            'Y N N N N Y N N N N N Y Y',
  'add DID in own scope':             'Y Y Y Y N Y Y Y N N Y Y N',
  'add DID in own scope under data/': 'Y Y Y Y N Y Y Y N Y Y Y N',
  'add DID in a scope of another':    'Y N N N N Y N N N N N Y N',
  'set metadata in own scope':        'Y Y Y Y N Y Y N N N Y Y N',
  'add replicas in own scope':        'Y Y Y Y N Y Y Y N N Y Y N',
  'read a DID of own scope':          'Y Y Y Y Y Y Y Y Y N Y Y Y',
  'read a DID of another scope':      'Y Y Y Y Y Y Y Y N N Y Y Y',
  'delete replicas':                  'Y N N N N Y N N N N N Y N',
  'add a rule for itself':            'Y Y Y Y N Y Y Y Y Y Y Y Y',
  'add a rule for another':           'Y N N N N Y N N N N N Y Y',
  'update own rule':                  'Y Y Y N N Y Y Y Y Y Y Y Y',
  'skip availability check':          'Y N N N N Y N N N N N Y Y',
};

t.test('permission matrix', async (t) => {
  t.same(
    Object.keys(MATRIX),
    OPS.map(([label]) => label),
    'one matrix row per operation',
  );
  for (const [label, op, target] of OPS) {
    const row = MATRIX[label].split(' ');
    t.equal(row.length, NAMES.length, `${label}: one cell per caller`);
    NAMES.forEach((name, i) => {
      const d = decide(CALLERS[name], op, target);
      t.equal(
        d.allowed,
        row[i] === 'Y',
        `${label} by ${name}: ${row[i] === 'Y' ? 'allowed' : 'denied'}${d.reason ? ` (${d.reason})` : ''}`,
      );
      if (!d.allowed) t.match(d.reason, /^Account \w+ can not /, `${label} by ${name}: has a reason`);
    });
  }
});

t.test('reasons say what to fix', async (t) => {
  t.match(
    decide(CALLERS.limited, 'addScope', { account: 'jdoe' }).reason,
    /limited proxy is only accepted for data access; use a full proxy/,
  );
  t.match(
    decide(CALLERS.tokRead, 'addDid', own('f1')).reason,
    /at \/user\.jdoe\/f1: the token's scopes \(storage\.read:\/user\.jdoe\) do not cover it; it needs storage\.create:\/user\.jdoe\/f1/,
  );
  t.match(
    decide(CALLERS.user, 'addScope', { account: 'alice' }).reason,
    /Account jdoe can not add scope for account alice/,
  );
  t.throws(() => perm.addRse(CALLERS.user), {
    name: 'AccessDenied',
    status: 401,
    message: 'Account jdoe can not add RSE',
  });
  t.doesNotThrow(() => perm.addRse(CALLERS.root));
  t.equal(perm.skipAvailabilityCheck(CALLERS.user), false);
  t.equal(perm.skipAvailabilityCheck(CALLERS.root), true);
  t.throws(() => requireRead(CALLERS.tokRead, 'user.alice', 'f'), { name: 'AccessDenied' });
  t.doesNotThrow(() => requireRead(CALLERS.tokRead, 'user.jdoe', 'f'));
  t.throws(
    () => requireStorageChange(CALLERS.tokAdminRead, 'deleteReplicas', [{ scope: 'user.jdoe', name: 'f' }]),
    {
      message: /needs storage\.modify:\/user\.jdoe\/f/,
    },
  );
  t.throws(() => check(CALLERS.user, 'admin'), { name: 'AccessDenied' });
});

t.test('every perm.* wrapper goes through the table', async (t) => {
  for (const [name, fn] of Object.entries(perm)) {
    const f = fn as (c: Caller, arg?: string) => unknown;
    // A limited proxy of root is denied every administrative wrapper; data-only wrappers do not exist in perm.
    const r = (() => {
      try {
        return f(CALLERS.limitedAdmin, 'someone-else');
      } catch (e) {
        return e;
      }
    })();
    if (name === 'skipAvailabilityCheck') t.equal(r, false, name);
    else if (name === 'addRule' || name === 'deleteRule')
      t.notOk(r instanceof Error && /limited/.test(r.message), name);
    else t.match(r, { name: 'AccessDenied' }, `${name} denies a limited proxy`);
  }
  t.ok(Object.keys(RULES).length >= 30, 'the table covers accounts, scopes, RSEs, DIDs, replicas, rules');
});

t.test('WLCG paths, scopes and groups', async (t) => {
  t.ok(pathCovers('/', '/anything/at/all'));
  t.ok(pathCovers('/data', '/data'));
  t.ok(pathCovers('/data', '/data/x/y'));
  t.notOk(pathCovers('/data', '/database'));
  t.notOk(pathCovers('/data/x', '/data'));
  t.same(
    storageScopes([
      'openid',
      'storage.read:/',
      'storage.create:/a/b/',
      'storage.modify:/../x',
      'storage.stage:/t',
      'compute.read',
    ]),
    [
      { action: 'read', path: '/' },
      { action: 'create', path: '/a/b' },
      { action: 'stage', path: '/t' },
    ],
  );
  t.equal(storageScopes(['openid', 'offline_access']), undefined, 'no storage scopes → identity-based rules');
  t.same(fqanGroups(['/oxbow/Role=production', '/oxbow/data/Role=NULL/Capability=NULL']), [
    '/oxbow/Role=production',
    '/oxbow',
    '/oxbow/data',
  ]);
  t.equal(
    effectiveAdmin(true, { method: 'x509_proxy', limited: true }, []),
    false,
    'never admin through a limited proxy',
  );
  t.equal(effectiveAdmin(false, { method: 'oidc', groups: ['/oxbow/admins'] }, ADMIN_GROUPS), true);
  t.equal(
    effectiveAdmin(false, { method: 'oidc', groups: ['/oxbow/admins'] }, []),
    false,
    'no admin groups configured',
  );
});
