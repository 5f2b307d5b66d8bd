import { createHash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import {
  deterministicPath,
  identityPath,
  lfn2pfnPath,
  normalizePrefix,
  scopeFromPath,
} from '../src/rucio/paths.js';
import { check } from './props.js';
import { reference } from './reference.js';

t.test('pinned paths', async (t) => {
  t.equal(deterministicPath('user.jdoe', 'data.root'), 'user/jdoe/c9/ae/data.root');
  t.equal(deterministicPath('tr', 'tr1.dat'), 'tr/a5/16/tr1.dat');
  t.equal(
    deterministicPath('data18_13TeV', 'AOD.12345._000001.pool.root.1'),
    'data18_13TeV/d3/fe/AOD.12345._000001.pool.root.1',
  );
  t.equal(identityPath('user.jdoe', 'data.root'), 'user/jdoe/data.root');
  t.equal(identityPath('mc', 'a/b'), 'mc/a/b');
});

t.test('all reference paths computed by Rucio', async (t) => {
  for (const c of reference.paths) {
    t.equal(deterministicPath(c.scope, c.name), c.hash, `hash ${c.scope}:${c.name}`);
    t.equal(identityPath(c.scope, c.name), c.identity, `identity ${c.scope}:${c.name}`);
    t.equal(lfn2pfnPath(c.scope, c.name), c.hash);
    t.equal(lfn2pfnPath(c.scope, c.name, 'hash'), c.hash);
    t.equal(lfn2pfnPath(c.scope, c.name, 'identity'), c.identity);
  }
  t.throws(() => lfn2pfnPath('s', 'n', 'atlas'), /Unsupported lfn2pfn algorithm 'atlas'/);
});

t.test('hash algorithm against an independent md5 on random DIDs', async (t) => {
  const scope = fc.stringMatching(/^(user\.|group\.)?[a-zA-Z0-9_.-]{1,20}$/);
  const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,60}$/);
  check(
    t,
    'scope/xx/yy/name',
    fc.property(scope, name, (s, n) => {
      const md5 = createHash('md5')
        .update(Buffer.from(`${s}:${n}`, 'utf8'))
        .digest('hex');
      const dir = /^(user|group)/.test(s) ? s.split('.').join('/') : s;
      const expected = `${dir}/${md5.slice(0, 2)}/${md5.slice(2, 4)}/${n}`;
      if (deterministicPath(s, n) !== expected)
        throw new Error(`${s}:${n} -> ${deterministicPath(s, n)} != ${expected}`);
    }),
    500,
  );
});

t.test('prefix and pfn2lfn', async (t) => {
  t.equal(normalizePrefix('data'), '/data/');
  t.equal(normalizePrefix('/data/'), '/data/');
  t.equal(normalizePrefix(''), '/');
  t.same(scopeFromPath('/tr/a5/16/', 'tr1.dat'), { scope: 'tr', name: 'tr1.dat' });
});
