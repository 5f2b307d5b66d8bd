import fc from 'fast-check';
import t from 'tap';
import {
  type DidFilter,
  didFilterDictsFromQuery,
  didFilterToDicts,
  didSearchQueryString,
  didTypesOfGroup,
  matchesDidFilter,
  normalizeDidFilters,
  parseDidFilter,
  parseDidFilterString,
  parseDidFiltersParam,
  parseRucioFilterDate,
  typecastFilterValue,
  wildcardToRegExp,
} from '../src/rucio/did-filters.js';
import {
  DIDFilterSyntaxError,
  DuplicateCriteriaInDIDFilter,
  UnsupportedOperation,
} from '../src/rucio/errors.js';
import { check } from './props.js';
import { reference } from './reference.js';

t.test("CLI filter strings give the same dicts as Rucio's client", async (t) => {
  for (const c of reference.filterStrings) {
    const label = `${JSON.stringify(c.input)} name=${c.name} omitName=${c.omitName}`;
    if (c.error) {
      // Rucio raises DIDFilterSyntaxError/DuplicateCriteriaInDIDFilter, or crashes with UnboundLocalError on a
      // bad range ('1=a<2'); we raise the typed error in every case.
      const expected =
        c.error === 'DuplicateCriteriaInDIDFilter' ? DuplicateCriteriaInDIDFilter : DIDFilterSyntaxError;
      t.throws(() => parseDidFilterString(c.input, { name: c.name, omitName: c.omitName }), expected, label);
    } else {
      const got = parseDidFilterString(c.input, { name: c.name, omitName: c.omitName });
      // compare entries so that key order (which ends up in the URL) counts too
      t.same(
        got.map((d) => Object.entries(d)),
        c.filters!.map((d) => Object.entries(d)),
        label,
      );
    }
  }
  t.throws(() => parseDidFilterString('a'), { message: /'a' is not a filter clause; write key=value/ });
  t.throws(() => parseDidFilterString('1=a<2'), {
    message: /a range must start with '<', '<=', '>' or '>='/,
  });
  t.throws(() => parseDidFilterString('a=1,a=2'), { message: /Duplicate criteria .*: a/ });
});

t.test("string values are typed as Rucio's filter engine types them", async (t) => {
  for (const c of reference.typecast) {
    const got = typecastFilterValue(c.input);
    const label = `typecast(${JSON.stringify(c.input)})`;
    switch (c.type) {
      case 'bool':
      case 'number':
        t.equal(got, c.value, label);
        break;
      case 'none':
        t.equal(got, null, label);
        break;
      case 'date':
        t.ok(got instanceof Date, label);
        t.equal(
          (got as Date).toISOString().slice(0, 23),
          `${(c.value as string).slice(0, 23)}.000`.slice(0, 23),
          label,
        );
        break;
      case 'str':
        if (c.input === 'mytrue')
          t.equal(got, 'mytrue', "deliberate: we do not rewrite 'true' inside values");
        else t.equal(got, c.value, label);
        break;
      default:
        // Rucio would turn '1j', '[1, 2]', '(1,)', '{}' into complex/list/tuple/dict values that no column
        // compares with; we keep them as strings.
        t.equal(got, c.input, `${label} stays a string`);
    }
  }
  t.same(parseRucioFilterDate('2024-02-29T12:00:00'), new Date(Date.UTC(2024, 1, 29, 12)));
  t.equal(parseRucioFilterDate('2023-02-29T12:00:00'), undefined);
  t.same(parseRucioFilterDate('fri, 05 JAN 2024 1:2:3 UTC'), new Date(Date.UTC(2024, 0, 5, 1, 2, 3)));
  t.same(parseRucioFilterDate('0099-01-01 00:00:00')?.getUTCFullYear(), 99);
});

t.test('what the Rucio client sends is read back', async (t) => {
  // Requests recorded from the real rucio 41 client (shared/docs/rucio-client-calls.md).
  const recorded = [
    [
      'type=collection&filters=%5B%7B%27name%27%3A+%27%2A%27%7D%5D&long=True&recursive=False',
      [{ name: '*' }],
    ],
    [
      'type=collection&filters=%5B%7B%27type%27%3A+%27all%27%2C+%27name%27%3A+%27%2A%27%7D%5D&long=True&recursive=False',
      [{ type: 'all', name: '*' }],
    ],
    ['type=all&filters=%5B%7B%27name%27%3A+%27dstr%27%7D%5D&long=True&recursive=False', [{ name: 'dstr' }]],
  ] as const;
  for (const [query, dicts] of recorded) {
    const params = new URLSearchParams(query);
    t.same(didFilterDictsFromQuery(params), dicts, query);
    t.equal(
      didSearchQueryString({ type: params.get('type')!, filters: dicts, long: true, recursive: false }),
      query,
      'we build the identical query string',
    );
  }
  t.same(normalizeDidFilters([{ type: 'all', name: '*' }]), [
    [
      { key: 'type', op: 'eq', value: 'all' },
      { key: 'name', op: 'eq', value: '*' },
    ],
  ]);
  // old clients: filters as separate query parameters
  t.same(didFilterDictsFromQuery(new URLSearchParams('name=abc*&length.gt=2&type=all&long=True&limit=3')), [
    { name: 'abc*', 'length.gt': '2' },
  ]);
  t.same(
    normalizeDidFilters(
      didFilterDictsFromQuery(new URLSearchParams('created_before=Tue, 02 Jan 2024 03:04:05 UTC')),
    ),
    [[{ key: 'created_at', op: 'lte', value: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) }]],
  );
  t.same(parseDidFiltersParam('[{"run_number.gte": 1000, "ok": true, "x": null}]'), [
    { 'run_number.gte': 1000, ok: true, x: null },
  ]);
  t.same(parseDidFiltersParam("{'name': 'a*'}"), [{ name: 'a*' }], 'a single dict is one group');
  t.throws(() => parseDidFiltersParam("[{'name': }]"), {
    name: 'DIDFilterSyntaxError',
    message: /position 10/,
  });
  t.throws(() => parseDidFiltersParam("'name'"), DIDFilterSyntaxError);
  t.throws(() => parseDidFiltersParam("[{'a': [1]}]"), {
    message: /must be a string, number, boolean or None, not a list/,
  });
  t.throws(() => parseDidFiltersParam('[1]'), { message: /group 0 is not a dict/ });
});

t.test('normalisation and its checks', async (t) => {
  t.same(parseDidFilter('run_number >= 1000, datatype = AOD; 1<=run<10, name!=x*'), [
    [
      { key: 'run_number', op: 'gte', value: 1000 },
      { key: 'datatype', op: 'eq', value: 'AOD' },
    ],
    [
      { key: 'run', op: 'gte', value: 1 },
      { key: 'run', op: 'lt', value: 10 },
      { key: 'name', op: 'ne', value: 'x*' },
    ],
  ]);
  t.same(parseDidFilter('a=1', { name: 'dst*' }), [
    [
      { key: 'a', op: 'eq', value: 1 },
      { key: 'name', op: 'eq', value: 'dst*' },
    ],
  ]);
  t.same(parseDidFilter("[{'x.ne': 'True', \"'quoted'\": 2}]"), [
    [
      { key: 'x', op: 'ne', value: true },
      { key: 'quoted', op: 'eq', value: 2 },
    ],
  ]);
  t.same(parseDidFilter({ created_after: '2024-01-01 00:00:00' }), [
    [{ key: 'created_at', op: 'gte', value: new Date(Date.UTC(2024, 0, 1)) }],
  ]);
  t.same(parseDidFilter(''), [], 'nothing to filter');
  const bad: [string, unknown, RegExp][] = [
    ['name>a', DIDFilterSyntaxError, /Name operator must be an equality operator/],
    ["[{'did_type.ne': 'FILE'}]", DIDFilterSyntaxError, /Type operator must be equals/],
    ['length=abc', DIDFilterSyntaxError, /Length has to be an integer value/],
    ['x>ab*', DIDFilterSyntaxError, /Wildcards can only be used with equality operators/],
    ['created_at>yesterday', DIDFilterSyntaxError, /Couldn't parse date "yesterday"/],
    ["[{'a.gte': 1, 'a.gte ': 2}]", DIDFilterSyntaxError, /Unknown operator suffix '.gte '/],
    ["[{'a': 1, \"'a'\": 2}]", DuplicateCriteriaInDIDFilter, /Duplicate criteria .*: a/],
    [
      "[{'created_after': '2024-01-01 00:00:00', 'created_at.gte': '2024-01-01 00:00:00'}]",
      DuplicateCriteriaInDIDFilter,
      /created_at.gte/,
    ],
    ["[{'a.b.c': 1}]", DIDFilterSyntaxError, /more than one '\.'/],
    ["[{'a.eq': 1}]", DIDFilterSyntaxError, /Unknown operator suffix '.eq'/],
    ["[{'a b': 1}]", DIDFilterSyntaxError, /Invalid metadata key: 'a b'/],
    ['type=blob', UnsupportedOperation, /blob is not a valid type. Valid types are all, collection/],
    ["[{'type.ne': 'all'}]", DIDFilterSyntaxError, /'type' filter only supports '='/],
  ];
  for (const [input, cls, re] of bad) {
    t.throws(() => parseDidFilter(input), cls as ErrorConstructor, input);
    t.throws(() => parseDidFilter(input), { message: re }, `${input} message`);
  }
  t.same(
    parseDidFilter('type=DATASET'),
    [[{ key: 'type', op: 'eq', value: 'dataset' }]],
    'type is lower-cased',
  );
  t.same(didTypesOfGroup([{ key: 'type', op: 'eq', value: 'collection' }]), ['CONTAINER', 'DATASET']);
  t.same(didTypesOfGroup([], 'FILE'), ['FILE']);
  t.throws(() => didTypesOfGroup([], 'blob'), UnsupportedOperation);
});

t.test('matcher', async (t) => {
  const did = {
    scope: 'tr',
    name: 'data18.run_0042.root',
    did_type: 'FILE',
    run_number: 42,
    datatype: 'AOD',
    events: '1500',
    is_open: false,
    created_at: new Date(Date.UTC(2024, 5, 1)),
    note: null,
  };
  const m = (f: string, opts = {}) => matchesDidFilter(parseDidFilter(f), did, opts);
  t.ok(m('run_number=42'));
  t.ok(m('run_number>=40, run_number<43'));
  t.notOk(m('run_number>42'));
  t.ok(m('run_number>42; datatype=AOD'), 'OR of groups');
  t.notOk(m('run_number>42, datatype=AOD'), 'AND inside a group');
  t.ok(m('events>1000'), 'numeric strings compare as numbers');
  t.ok(m('is_open=False'));
  t.notOk(m('is_open=true'));
  t.ok(m('datatype!=ESD'));
  t.notOk(m('datatype=aod'), 'case-sensitive');
  t.ok(m('datatype>AAA, datatype<B'), 'strings compare lexically');
  t.ok(m('created_after=2024-01-01T00:00:00'));
  t.notOk(m('created_before=2024-01-01T00:00:00'));
  t.ok(m('missing!=3'), "a missing key satisfies only '!='");
  t.notOk(m('missing=3'));
  t.notOk(m('missing<3'));
  t.ok(m('note=None'), 'None matches null/missing');
  t.ok(m('other=None'));
  t.notOk(m('datatype=None'));
  t.ok(m('datatype!=None'));
  t.ok(m('name=data18.*'), 'wildcard');
  t.ok(m('name=*run_00%'), "'%' is a wildcard too");
  t.notOk(m('name=data18_*'), "'_' is literal");
  t.ok(m('name!=mc*'));
  t.notOk(m('name!=data*'));
  t.ok(m('missing=*'), "a lone '*' does not filter");
  t.ok(m('name=data18.run_0042.root'));
  t.notOk(m('name=data18.run_0042.roo'), 'no implicit wildcard');
  t.ok(m('type=all'));
  t.ok(m('type=file'));
  t.notOk(m('type=collection'));
  t.ok(m('datatype=AOD', { searchType: 'all' }));
  t.notOk(
    m('datatype=AOD', { searchType: 'collection' }),
    'search type applies to groups without a type clause',
  );
  t.ok(m('type=file', { searchType: 'collection' }), 'a type clause overrides the search type');
  t.ok(matchesDidFilter([], did), 'an empty filter matches');
  t.ok(matchesDidFilter(parseDidFilter("[{'did_type': 'F'}]"), did), 'did_type accepts codes');
  t.notOk(m('run_number=abc'), 'a number field does not equal a word');
  t.ok(wildcardToRegExp('a.(b)*[c]').test('a.(b)xyz[c]'), 'regex characters are literal');
});

t.test('property: matcher agrees with a direct evaluation of range and equality filters', async (t) => {
  // Bounds are non-negative: Rucio leaves text containing '-' untyped, so '-5' would stay a string.
  const obj = fc.record({
    x: fc.option(fc.integer({ min: -5, max: 25 }), { nil: undefined }),
    y: fc.constantFrom('a', 'b', 'c'),
  });
  const bound = fc.integer({ min: 0, max: 20 });
  check(
    t,
    'lo<=x<hi; y=v',
    fc.property(obj, bound, bound, fc.constantFrom('a', 'b'), (o, lo, hi, v) => {
      const filter = parseDidFilter(`${lo}<=x<${hi}; y=${v}`);
      const expected = (o.x !== undefined && lo <= o.x && o.x < hi) || o.y === v;
      if (matchesDidFilter(filter, o) !== expected) throw new Error(JSON.stringify({ o, lo, hi, v }));
    }),
    500,
  );
});

t.test('property: dicts -> query string -> dicts -> AST round-trips', async (t) => {
  const key = fc.constantFrom('name', 'run_number', 'datatype', 'events', 'is_open');
  const op = fc.constantFrom('', '.gte', '.gt', '.lte', '.lt', '.ne');
  const value = fc.oneof(
    fc.integer({ min: 0, max: 1_000_000 }),
    fc.boolean(),
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,10}$/),
  );
  const group = fc
    .uniqueArray(fc.tuple(key, op, value), { selector: ([k, o]) => k + o, maxLength: 4 })
    .map((entries) =>
      Object.fromEntries(
        entries.filter(([k, o]) => k !== 'name' || o === '' || o === '.ne').map(([k, o, v]) => [k + o, v]),
      ),
    );
  check(
    t,
    'round trip',
    fc.property(fc.array(group, { minLength: 1, maxLength: 3 }), (dicts) => {
      const ast: DidFilter = normalizeDidFilters(dicts);
      const query = didSearchQueryString({ type: 'all', filters: didFilterToDicts(ast) });
      const back = normalizeDidFilters(didFilterDictsFromQuery(new URLSearchParams(query)));
      if (JSON.stringify(back) !== JSON.stringify(ast))
        throw new Error(`${query}\n${JSON.stringify(back)}\n${JSON.stringify(ast)}`);
    }),
    300,
  );
});
