import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootFile } from '@oxbow/root-io';
import t from 'tap';
import { baseEnv, oxbow } from './helpers.js';

const corpus = (f: string) => join(process.env.OXBOW_ROOT_CORPUS ?? '/work/shared/data/root', f);

t.test('oxbow hadd merges trees with ROOT option syntax and exit codes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-hadd-'));
  const out = join(dir, 'merged.root');
  const env = baseEnv({});
  const ok = await oxbow(
    ['hadd', '-fk', out, corpus('uproot-HZZ-zlib.root'), corpus('uproot-HZZ-lz4.root')],
    env,
  );
  t.equal(ok.code, 0, ok.stderr);
  const f = await RootFile.open(out);
  const tree = await f.get('events');
  t.equal(Number(tree.fEntries), 2 * 2421, 'entries of both inputs');

  const again = await oxbow(['hadd', out, corpus('uproot-HZZ.root')], env);
  t.equal(again.code, 1, 'an existing target without -f is refused');
  t.match(again.stderr, /exist/);

  const usage = await oxbow(['hadd', out], env);
  t.equal(usage.code, 2, 'no sources is a usage error');

  const bad = await oxbow(['hadd', '-f', join(dir, 'x.root'), join(dir, 'missing.root')], env);
  t.equal(bad.code, 1);
  t.same(readdirSync(dir).sort(), ['merged.root'], 'no half-written output left behind');

  const skip = await oxbow(
    ['hadd', '-f', '-k', join(dir, 'k.root'), corpus('uproot-HZZ.root'), join(dir, 'missing.root')],
    env,
  );
  t.equal(skip.code, 0, skip.stderr);
  t.match(skip.stderr, /missing\.root/, '-k names the skipped input');
});
