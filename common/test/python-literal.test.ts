import fc from 'fast-check';
import t from 'tap';
import {
  formatRfc1123,
  PythonLiteralError,
  parsePythonLiteral,
  pythonFloatRepr,
  pythonQuotePlus,
  pythonRepr,
  pythonStrRepr,
  pythonUrlencode,
} from '../src/rucio/python-literal.js';
import { check } from './props.js';
import { reference } from './reference.js';

/** ASCII-only rendering for assertion names (U+2028 and friends would break the TAP stream). */
const show = (s: string) =>
  JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

t.test('repr of str and float matches Python', async (t) => {
  for (const c of reference.python.strRepr) t.equal(pythonStrRepr(c.value), c.repr, `repr(${show(c.value)})`);
  for (const c of reference.python.floatRepr) {
    // JSON cannot tell 3.0 from 3; our repr of an integral float is Python's float repr.
    t.equal(pythonFloatRepr(c.value), c.repr, `repr(${c.value})`);
  }
});

t.test('literal_eval matches Python', async (t) => {
  for (const c of reference.python.literals) t.same(parsePythonLiteral(c.text), c.value, show(c.text));
  for (const c of reference.python.badLiterals) {
    // Everything Python refuses we refuse; dicts with non-str keys we refuse on purpose.
    t.throws(
      () => parsePythonLiteral(c.text),
      PythonLiteralError,
      `${c.text} (${c.python_error ?? c.python})`,
    );
  }
  t.throws(() => parsePythonLiteral("[{'a': 1}] x"), /unexpected text after the value at position 11/);
});

t.test('repr then literal_eval round-trips', async (t) => {
  const scalar = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
    fc.boolean(),
    fc.constant(null),
  );
  const dict = fc.dictionary(fc.string({ unit: 'binary', minLength: 1 }), scalar, { maxKeys: 5 });
  check(
    t,
    'lists of dicts',
    fc.property(fc.array(dict, { maxLength: 4 }), (value) => {
      const text = pythonRepr(value);
      const back = parsePythonLiteral(text);
      if (JSON.stringify(back) !== JSON.stringify(value))
        throw new Error(`${text} -> ${JSON.stringify(back)}`);
    }),
    300,
  );
});

t.test('urlencode / quote_plus match Python', async (t) => {
  for (const c of reference.python.urlencode) t.equal(pythonUrlencode(Object.fromEntries(c.params)), c.query);
  t.equal(pythonQuotePlus("[{'name': '*'}]"), '%5B%7B%27name%27%3A+%27%2A%27%7D%5D');
  t.equal(
    pythonUrlencode({ long: true, recursive: false, n: 3, none: null }),
    'long=True&recursive=False&n=3&none=None',
  );
});

t.test('RFC 1123 dates as Rucio formats them', async (t) => {
  t.equal(formatRfc1123(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), 'Tue, 02 Jan 2024 03:04:05 UTC');
  t.equal(
    pythonRepr([{ created_at: new Date(Date.UTC(2020, 1, 29)) }] as never),
    "[{'created_at': 'Sat, 29 Feb 2020 00:00:00 UTC'}]",
  );
});
