import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { InvalidObject, InvalidRSEExpression, RSEWriteBlocked } from '../src/rucio/errors.js';
import {
  evaluateRseExpression,
  formatRseExpression,
  parseRseExpression,
  pythonFloat,
  type RseForExpression,
  selectRses,
} from '../src/rucio/rse-expression.js';
import { check } from './props.js';
import { reference } from './reference.js';

const names = (rses: readonly RseForExpression[]) => rses.map((r) => r.rse).sort();

t.test('matches Rucio on the reference expressions (acceptance, result, error)', async (t) => {
  const rses: RseForExpression[] = reference.rses;
  let checked = 0;
  for (const c of reference.rseExpressions) {
    let got: { rses: string[] } | { error: string; message: string };
    try {
      got = { rses: names(evaluateRseExpression(c.expr, rses)) };
    } catch (e) {
      const err = e as Error;
      got = { error: err.name, message: err.message };
    }
    if (c.error) {
      if (
        !('error' in got) ||
        got.error !== c.error ||
        !got.message.startsWith(c.message!.replace(/\.$/, ''))
      ) {
        t.fail(
          `${JSON.stringify(c.expr)}: Rucio raised ${c.error}('${c.message}'), we gave ${JSON.stringify(got)}`,
        );
        continue;
      }
    } else if (!('rses' in got) || got.rses.join(',') !== c.rses!.join(',')) {
      t.fail(`${JSON.stringify(c.expr)}: Rucio selected ${c.rses}, we gave ${JSON.stringify(got)}`);
      continue;
    }
    checked++;
  }
  t.equal(
    checked,
    reference.rseExpressions.length,
    `all ${reference.rseExpressions.length} expressions agree`,
  );
  t.ok(reference.rseExpressions.length > 1000);
  t.ok(reference.rseExpressions.filter((c) => c.rses).length > 300, 'hundreds of valid expressions');
});

t.test('grammar table', async (t) => {
  const valid = [
    'DISK1',
    'A-B_C',
    '*',
    'tier=1',
    'a.b-c_d=x-y_z',
    '.a=b',
    '-=1',
    'x<10',
    'x>-5',
    'x<1_0',
    '(A)',
    '((A))',
    'A|B&C\\D',
    '(A|B)&(C\\D)',
    'A|(B&(C|(D)))',
    '*\\A',
    'A&*',
    '(*)',
  ];
  for (const e of valid) t.doesNotThrow(() => parseRseExpression(e), `valid: ${e}`);
  const invalid: [string, RegExp][] = [
    ['', /end of the expression at position 0/],
    [' ', /spaces are not allowed/],
    ['A |B', /spaces are not allowed.*position 1/],
    ['A|', /position 2/],
    ['|A', /position 0/],
    ['A||B', /position 2/],
    ['(A', /Problem with parentheses: '\(' at position 0/],
    ['A)', /Problem with parentheses: '\)' at position 1/],
    [')(', /Problem with parentheses/],
    ['()', /position 1/],
    ['A(B)', /found '\(' where an operator/],
    ['(A)B', /after '\)' but found 'B' at position 3/],
    ['(A)(B)', /position 3/],
    ['a!=b', /'!=' is not supported/],
    ['a<=1', /'<=' is not supported/],
    ['a>=1', /'>=' is not supported/],
    ['a==1', /'==' is not supported/],
    ['x<1.5', /values cannot contain '\.'/],
    ['A.B', /'\.' is not allowed in a bare RSE name/],
    ['A_', /position 1/],
    ['_A', /cannot start with '_'/],
    ['A__B', /position 1/],
    ['A=B=C', /second '='/],
    ['a=', /after '='/],
    ['**', /position 1/],
    ['A*', /position 1/],
    ['A"B', /position 1/],
  ];
  for (const [e, re] of invalid) {
    t.throws(() => parseRseExpression(e), InvalidRSEExpression, `invalid: ${JSON.stringify(e)}`);
    try {
      parseRseExpression(e);
    } catch (err) {
      t.match((err as Error).message, re, `message for ${JSON.stringify(e)}`);
      t.equal((err as Error).name, 'InvalidRSEExpression');
    }
  }
  t.same(parseRseExpression('tier>2'), { type: 'attribute', key: 'tier', op: '>', value: '2', start: 0 });
  t.same(parseRseExpression('X'), { type: 'attribute', key: 'X', op: '=', value: true, start: 0 });
});

t.test('no precedence: strictly left to right', async (t) => {
  const tree = parseRseExpression('A|B&C');
  t.equal(tree.type, 'intersection');
  t.equal(formatRseExpression(tree), 'A|B&C');
  t.equal(formatRseExpression(parseRseExpression('A|(B&C)')), 'A|(B&C)');
  t.equal(formatRseExpression(parseRseExpression('((A|B))&C')), 'A|B&C');
});

t.test('attribute semantics', async (t) => {
  const rses: RseForExpression[] = [
    {
      id: '1',
      rse: 'R1',
      attributes: { R1: true, istape: 'True', n: 5, s: 'x', f: '1e3', nul: null },
      columns: { rse_type: 'TAPE', deterministic: true, city: 'Geneva', longitude: 6.1 },
      vo: 'def',
      availability_write: false,
    },
    {
      id: '2',
      rse: 'R2',
      attributes: { R2: 'true', istape: false, n: '7', s: 'X', f: 'inf' },
      columns: { rse_type: 'DISK', deterministic: false },
      vo: 'abc',
      availability_write: true,
    },
  ];
  const sel = (e: string) => selectRses(e, rses).map((r) => r.rse);
  t.same(sel('istape=true'), ['R1'], "booleans compare as Rucio stores them ('true')");
  t.same(sel('istape=FALSE'), ['R2']);
  t.same(sel('R2'), ['R2'], "an attribute stored as the string 'true' equals a bare name");
  t.same(sel('n=5'), ['R1'], 'numbers compare by their string form');
  t.same(sel('s=x'), ['R1'], 'strings compare case-sensitively');
  t.same(sel('n>6'), ['R2'], "'<'/'>' convert both sides like Python float()");
  t.same(sel('f>999'), ['R1', 'R2'], "'1e3' and 'inf' are floats for Python");
  t.same(sel('istape>0'), ['R1'], 'a stored true reads back as a boolean: float(True) == 1.0');
  t.same(sel('n>abc'), [], 'a non-numeric bound selects nothing');
  t.same(sel('nul=x|nul>1'), [], 'null attributes match nothing');
  t.same(sel('rse_type=TAPE'), ['R1'], 'rse_type is a column');
  t.same(sel('deterministic=1'), ['R1'], 'boolean columns accept 1/0');
  t.same(sel('deterministic=False'), ['R2']);
  t.same(sel('city=Geneva'), ['R1']);
  t.same(sel('rse=R2'), ['R2'], 'rse is the name column');
  t.same(sel('id=1'), ['R1']);
  t.same(sel('vo=abc'), ['R2']);
  t.throws(() => sel('rse_type=SSD'), InvalidObject, 'Rucio refuses an unknown rse_type');
  t.throws(() => sel('deterministic=maybe'), InvalidObject);
  t.same(selectRses('R1', [{ id: '9', rse: 'R9', attributes: { rse_type: 'TAPE' } }]), []);
  t.same(
    selectRses('rse_type=TAPE', [{ id: '9', rse: 'R9', attributes: { rse_type: 'TAPE' } }]).map((r) => r.rse),
    ['R9'],
    'without columns, column keys fall back to attributes',
  );
  t.throws(() => evaluateRseExpression('NONE', rses), { name: 'InvalidRSEExpression', message: /empty set/ });
  t.same(
    evaluateRseExpression('*', rses, { vo: 'abc' }).map((r) => r.rse),
    ['R2'],
  );
  t.throws(() => evaluateRseExpression('R1', rses, { vo: 'abc' }), InvalidRSEExpression);
  t.same(
    evaluateRseExpression('*', rses, { requireWrite: true }).map((r) => r.rse),
    ['R2'],
  );
  t.throws(() => evaluateRseExpression('R1', rses, { requireWrite: true }), RSEWriteBlocked);
  t.same(
    evaluateRseExpression('R2|R1', rses).map((r) => r.rse),
    ['R1', 'R2'],
    'results keep input order',
  );
});

t.test('pythonFloat matches Python float()', async (t) => {
  for (const c of reference.python.float) {
    const got = pythonFloat(c.input);
    if (c.error) t.equal(got, undefined, `float(${JSON.stringify(c.input)}) raises`);
    else if (c.value === null) t.ok(Number.isNaN(got), `float(${JSON.stringify(c.input)}) is nan`);
    else if (typeof c.value === 'string') t.equal(String(got), c.value === 'inf' ? 'Infinity' : '-Infinity');
    else t.equal(got, c.value, `float(${JSON.stringify(c.input)})`);
  }
});

// ---- property tests against a naive set-based reference evaluator ----

type Tree =
  | { kind: 'name'; name: string }
  | { kind: 'eq'; key: string; value: string }
  | { kind: 'lt' | 'gt'; key: string; value: number }
  | { kind: 'all' }
  | { kind: '|' | '&' | '\\'; left: Tree; right: Tree };

const RSE_NAMES = ['R0', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7'];
const KEYS = ['tier', 'cloud', 'size'];
const VALUES = ['0', '1', '2', '3'];

const arbRses = fc
  .array(
    fc.record({
      tier: fc.option(fc.constantFrom(...VALUES), { nil: undefined }),
      cloud: fc.option(fc.constantFrom(...VALUES), { nil: undefined }),
      size: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
      tags: fc.subarray(RSE_NAMES),
    }),
    { minLength: 1, maxLength: RSE_NAMES.length },
  )
  .map((specs) =>
    specs.map((s, i): RseForExpression => {
      const attributes: Record<string, string | boolean | number> = { [RSE_NAMES[i]!]: true };
      // extra tags: other names as attributes, so name primitives select several RSEs
      for (const tag of s.tags) attributes[tag] = true;
      if (s.tier !== undefined) attributes.tier = s.tier;
      if (s.cloud !== undefined) attributes.cloud = s.cloud;
      if (s.size !== undefined) attributes.size = String(s.size);
      return { id: `id${i}`, rse: RSE_NAMES[i]!, attributes };
    }),
  );

const arbLeaf: fc.Arbitrary<Tree> = fc.oneof(
  fc.constantFrom(...RSE_NAMES, 'NOSUCH').map((name): Tree => ({ kind: 'name', name })),
  fc
    .record({ key: fc.constantFrom(...KEYS), value: fc.constantFrom(...VALUES) })
    .map((r): Tree => ({ kind: 'eq', ...r })),
  fc
    .record({
      kind: fc.constantFrom('lt' as const, 'gt' as const),
      key: fc.constant('size'),
      value: fc.integer({ min: -6, max: 6 }),
    })
    .map((r): Tree => r),
  fc.constant<Tree>({ kind: 'all' }),
);

const arbTree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbLeaf,
    fc
      .record({
        kind: fc.constantFrom('|' as const, '&' as const, '\\' as const),
        left: tie('tree'),
        right: tie('tree'),
      })
      .map((r): Tree => r),
  ),
})).tree;

/** Text of a tree; parenthesises right operands (needed) and, when asked, anything (redundant). */
function text(tree: Tree, redundant: (depth: number) => boolean, depth = 0): string {
  let s: string;
  switch (tree.kind) {
    case 'name':
      s = tree.name;
      break;
    case 'eq':
      s = `${tree.key}=${tree.value}`;
      break;
    case 'lt':
      s = `${tree.key}<${tree.value}`;
      break;
    case 'gt':
      s = `${tree.key}>${tree.value}`;
      break;
    case 'all':
      s = '*';
      break;
    default: {
      const right = text(tree.right, redundant, depth + 1);
      const needs = tree.right.kind === '|' || tree.right.kind === '&' || tree.right.kind === '\\';
      s = `${text(tree.left, redundant, depth + 1)}${tree.kind}${needs ? `(${right})` : right}`;
    }
  }
  return redundant(depth) ? `(${s})` : s;
}

/** Naive reference: sets of RSE names, straight from the definition. */
function refEval(tree: Tree, rses: readonly RseForExpression[]): Set<string> {
  const pick = (f: (a: Record<string, unknown>) => boolean) =>
    new Set(rses.filter((r) => f(r.attributes as Record<string, unknown>)).map((r) => r.rse));
  switch (tree.kind) {
    case 'name':
      return pick((a) => a[tree.name] === true);
    case 'eq':
      return pick((a) => a[tree.key] === tree.value);
    case 'lt':
      return pick((a) => a[tree.key] !== undefined && Number(a[tree.key]) < tree.value);
    case 'gt':
      return pick((a) => a[tree.key] !== undefined && Number(a[tree.key]) > tree.value);
    case 'all':
      return new Set(rses.map((r) => r.rse));
    case '|':
      return new Set([...refEval(tree.left, rses), ...refEval(tree.right, rses)]);
    case '&': {
      const r = refEval(tree.right, rses);
      return new Set([...refEval(tree.left, rses)].filter((x) => r.has(x)));
    }
    case '\\': {
      const r = refEval(tree.right, rses);
      return new Set([...refEval(tree.left, rses)].filter((x) => !r.has(x)));
    }
  }
}

const sel = (e: string, rses: readonly RseForExpression[]) =>
  selectRses(e, rses)
    .map((r) => r.rse)
    .sort();
const sorted = (s: Set<string>) => [...s].sort();

t.test('random expressions agree with the naive reference evaluator', async (t) => {
  check(
    t,
    'evaluate(text(tree)) == reference(tree)',
    fc.property(arbTree, arbRses, (tree, rses) => {
      const expr = text(tree, () => false);
      assert.deepEqual(sel(expr, rses), sorted(refEval(tree, rses)), expr);
    }),
    500,
  );
});

t.test('redundant parentheses change nothing', async (t) => {
  check(
    t,
    'parenthesised subtrees',
    fc.property(arbTree, arbRses, fc.func(fc.boolean()), (tree, rses, wrap) => {
      const plain = text(tree, () => false);
      const wrapped = text(tree, (d) => wrap(d));
      assert.deepEqual(sel(wrapped, rses), sel(plain, rses), `${wrapped} vs ${plain}`);
      assert.deepEqual(sel(`((${plain}))`, rses), sel(plain, rses));
    }),
    300,
  );
});

t.test('set laws: union, intersection, difference, * identity, left-to-right association', async (t) => {
  const leaf = arbLeaf.map((l) => text(l, () => false));
  const op = fc.constantFrom('|', '&', '\\');
  check(
    t,
    'set laws',
    fc.property(leaf, leaf, leaf, arbRses, op, op, (a, b, c, rses, o1, o2) => {
      const A = new Set(sel(a, rses));
      const B = new Set(sel(b, rses));
      const all = rses.map((r) => r.rse).sort();
      assert.deepEqual(sel(`${a}|${b}`, rses), [...new Set([...A, ...B])].sort(), 'A|B is the union');
      assert.deepEqual(
        sel(`${a}&${b}`, rses),
        [...A].filter((x) => B.has(x)).sort(),
        'A&B is the intersection',
      );
      assert.deepEqual(
        sel(`${a}\\${b}`, rses),
        [...A].filter((x) => !B.has(x)).sort(),
        'A\\B is the difference',
      );
      assert.deepEqual(sel(`${a}&*`, rses), [...A].sort(), '* is neutral for &');
      assert.deepEqual(sel(`${a}|*`, rses), all, '* absorbs |');
      assert.deepEqual(
        sel(`*\\${a}`, rses),
        all.filter((x) => !A.has(x)),
        '*\\A is the complement',
      );
      assert.deepEqual(
        sel(`${a}${o1}${b}${o2}${c}`, rses),
        sel(`(${a}${o1}${b})${o2}${c}`, rses),
        'no precedence: left to right',
      );
      assert.deepEqual(sel(`${a}|${b}`, rses), sel(`${b}|${a}`, rses), 'union commutes');
    }),
    400,
  );
  // A concrete case where precedence would matter: A|B&C is (A|B)&C, not A|(B&C).
  const rses: RseForExpression[] = [
    { id: '1', rse: 'A', attributes: { A: true } },
    { id: '2', rse: 'B', attributes: { B: true, C: true } },
  ];
  t.same(sel('A|B&C', rses), ['B']);
  t.same(sel('A|(B&C)', rses), ['A', 'B']);
});

t.test('formatRseExpression round-trips', async (t) => {
  check(
    t,
    'parse(format(parse(x))) selects what x selects',
    fc.property(arbTree, arbRses, (tree, rses) => {
      const expr = text(tree, () => false);
      const again = formatRseExpression(parseRseExpression(expr));
      assert.deepEqual(sel(again, rses), sel(expr, rses));
    }),
    300,
  );
});

t.test(
  'random strings: the parser either accepts or throws InvalidRSEExpression with a position',
  async (t) => {
    check(
      t,
      'typed errors',
      fc.property(fc.stringMatching(/^[A-Z0-9a-z_.\-=<>()|&\\* !]{0,12}$/), (s) => {
        try {
          parseRseExpression(s);
        } catch (e) {
          assert.ok(e instanceof InvalidRSEExpression, `${JSON.stringify(s)} threw ${e}`);
          assert.match((e as Error).message, /position \d+|Problem with parentheses/);
        }
      }),
      2000,
    );
  },
);
