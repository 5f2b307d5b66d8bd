// The Python side of Rucio's wire formats: the client sends some query parameters as the repr() of Python
// lists/dicts (the DID search `filters`), URL-encoded with urllib's urlencode (quote_plus), and the server
// reads them back with ast.literal_eval. These functions read and write that subset of Python literals.

/** A value a Python literal can hold in Rucio's parameters (tuples and sets read as arrays). */
export type PythonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | PythonValue[]
  | { [key: string]: PythonValue };

/** A Python literal (or the repr of one) could not be read. */
export class PythonLiteralError extends Error {
  override name = 'PythonLiteralError';
}

const NAME_CONSTANTS: Record<string, PythonValue> = { True: true, False: false, None: null };

/**
 * Parse a Python literal as ast.literal_eval does for the types Rucio uses: str (with escapes and
 * adjacent-literal concatenation), int (decimal, 0x, 0o, 0b, '_' separators), float, True/False/None, list,
 * tuple, set and dict with string keys; unary minus/plus on numbers. Complex numbers and bytes are refused.
 */
export function parsePythonLiteral(text: string): PythonValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new PythonLiteralError(
      `${what} at position ${pos} of the Python literal ${JSON.stringify(text.slice(0, 200))}`,
    );
  };
  const skipSpace = () => {
    while (pos < text.length && /[ \t\n\r\f\v]/.test(text[pos]!)) pos++;
  };
  const parseString = (): string => {
    let out = '';
    // Adjacent literals concatenate: 'a' "b" == 'ab'.
    while (true) {
      let raw = false;
      const prefix = /^([rRuU]?)(['"])/.exec(text.slice(pos, pos + 2));
      if (!prefix) break;
      raw = prefix[1]!.toLowerCase() === 'r';
      pos += prefix[1]!.length;
      const quote = text[pos]!;
      const triple = text.startsWith(quote.repeat(3), pos);
      const delim = triple ? quote.repeat(3) : quote;
      pos += delim.length;
      while (true) {
        if (pos >= text.length) fail('unterminated string');
        if (text.startsWith(delim, pos)) {
          pos += delim.length;
          break;
        }
        const c = text[pos]!;
        if (!triple && c === '\n') fail('newline inside a string');
        if (c !== '\\') {
          out += c;
          pos++;
          continue;
        }
        const n = text[pos + 1];
        if (n === undefined) fail('unterminated string');
        if (raw) {
          out += c + n;
          pos += 2;
          continue;
        }
        pos += 2;
        switch (n) {
          case '\n':
            break;
          case '\\':
          case "'":
          case '"':
            out += n;
            break;
          case 'a':
            out += '\x07';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'v':
            out += '\v';
            break;
          case 'x':
          case 'u':
          case 'U': {
            const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
            const hex = text.slice(pos, pos + len);
            if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`bad \\${n} escape`);
            const code = Number.parseInt(hex, 16);
            if (code > 0x10ffff) fail(`bad \\${n} escape`);
            out += String.fromCodePoint(code);
            pos += len;
            break;
          }
          default:
            if (n !== undefined && /[0-7]/.test(n)) {
              let oct = n;
              while (oct.length < 3 && /[0-7]/.test(text[pos] ?? '')) oct += text[pos++];
              out += String.fromCodePoint(Number.parseInt(oct, 8));
            } else {
              // Python keeps unknown escapes verbatim.
              out += `\\${n}`;
            }
        }
      }
      skipSpace();
    }
    return out;
  };
  const parseNumber = (): number | bigint => {
    const m =
      /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?)/.exec(
        text.slice(pos),
      );
    const lit = m?.[0] ?? '';
    if (lit === '' || lit === '.' || /^[.]?[eE]/.test(lit)) fail('expected a value');
    if (/^[jJ]/.test(text.slice(pos + lit.length))) fail('complex numbers are not supported');
    if (/^[A-Za-z0-9_]/.test(text.slice(pos + lit.length))) fail('malformed number');
    pos += lit.length;
    const clean = lit.replaceAll('_', '');
    if (/^0[xob]/i.test(clean)) return toIntNumber(BigInt(clean));
    if (/[.eE]/.test(clean)) return Number(clean);
    // Python 3 refuses leading zeros in decimal integers other than zero itself.
    if (/^0[0-9]/.test(clean) && !/^0+$/.test(clean)) fail('leading zeros in a decimal integer');
    return toIntNumber(BigInt(clean));
  };
  const parseValue = (): PythonValue => {
    skipSpace();
    const c = text[pos];
    if (c === undefined) fail('expected a value but the text ended');
    if (c === '[' || c === '(' || c === '{') {
      const close = c === '[' ? ']' : c === '(' ? ')' : '}';
      pos++;
      skipSpace();
      if (c === '{') {
        // dict or set
        if (text[pos] === '}') {
          pos++;
          return {};
        }
        const first = parseValue();
        skipSpace();
        if (text[pos] === ':') {
          const dict: Record<string, PythonValue> = {};
          let key: PythonValue = first;
          while (true) {
            if (typeof key !== 'string') fail('only string keys are supported in dicts');
            pos++; // ':'
            const value = parseValue();
            Object.defineProperty(dict, key as string, {
              value,
              enumerable: true,
              writable: true,
              configurable: true,
            });
            skipSpace();
            if (text[pos] === ',') {
              pos++;
              skipSpace();
              if (text[pos] === '}') break;
              key = parseValue();
              skipSpace();
              if (text[pos] !== ':') fail("expected ':' in a dict");
              continue;
            }
            if (text[pos] === '}') break;
            fail("expected ',' or '}' in a dict");
          }
          pos++;
          return dict;
        }
        const set: PythonValue[] = [first];
        return parseSequenceTail(set, '}');
      }
      if (text[pos] === close) {
        pos++;
        return [];
      }
      const items: PythonValue[] = [parseValue()];
      if (c === '(') {
        // '(x)' is just x; only '(x,)' or '(x, y)' is a tuple.
        skipSpace();
        if (text[pos] === ')') {
          pos++;
          return items[0]!;
        }
      }
      return parseSequenceTail(items, close);
    }
    if (c === "'" || c === '"' || (/[rRuU]/.test(c) && /['"]/.test(text[pos + 1] ?? '')))
      return parseString();
    if (c === '-' || c === '+') {
      // literal_eval allows one sign directly on a number literal only ('--1' and '-True' are refused).
      pos++;
      skipSpace();
      if (!/[0-9.]/.test(text[pos] ?? '')) fail('a sign must be followed by a number');
      const v = parseNumber();
      return c === '-' ? (typeof v === 'bigint' ? toIntNumber(-v) : -v) : v;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos))?.[0];
    if (word !== undefined) {
      if (!Object.hasOwn(NAME_CONSTANTS, word)) fail(`'${word}' is not a literal`);
      pos += word.length;
      return NAME_CONSTANTS[word]!;
    }
    return parseNumber();
  };
  const parseSequenceTail = (items: PythonValue[], close: string): PythonValue[] => {
    while (true) {
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return items;
      }
      if (text[pos] !== ',') fail(`expected ',' or '${close}'`);
      pos++;
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return items;
      }
      items.push(parseValue());
    }
  };
  const value = parseValue();
  skipSpace();
  if (pos !== text.length) fail('unexpected text after the value');
  return value;
}

/** Integers stay numbers when exact, bigints otherwise. */
function toIntNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** True for characters Python's str.isprintable() accepts (letters, marks, numbers, punctuation, symbols, ' '). */
function isPrintable(ch: string): boolean {
  return ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
}

/** Python's repr() of a str. */
export function pythonStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x7f || isPrintable(ch)) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** Python's repr() of a float. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest round-tripping digits, as Python's repr does.
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const frac = digits.slice(1);
    body = `${digits[0]}${frac ? `.${frac}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    body = `${intPart}.${frac || '0'}`;
  }
  return (negative ? '-' : '') + body;
}

/**
 * Python's repr() of a value. Numbers that are integers (and below 1e16) print as Python ints, others as
 * floats; Dates print as Rucio's client sends them (RFC 1123, see formatRfc1123) inside a str.
 */
export function pythonRepr(value: PythonValue | Date | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) < 1e16 ? String(value) : pythonFloatRepr(value);
  if (typeof value === 'string') return pythonStrRepr(value);
  if (value instanceof Date) return pythonStrRepr(formatRfc1123(value));
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonStrRepr(k)}: ${pythonRepr(v)}`)
    .join(', ')}}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A date in Rucio's DATE_FORMAT '%a, %d %b %Y %H:%M:%S UTC' (UTC, English names). */
export function formatRfc1123(date: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]}, ${p2(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCFullYear()).padStart(4, '0')} ${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} UTC`;
}

/** urllib.parse.quote_plus: keeps letters, digits and '_.-~', turns spaces into '+', %-encodes UTF-8 bytes of the rest. */
export function pythonQuotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** urllib.parse.urlencode(params) without doseq: each value is str()'d (repr for lists and dicts). */
export function pythonUrlencode(params: Record<string, PythonValue | Date | undefined>): string {
  return Object.entries(params)
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : v instanceof Date ? String(v) : pythonRepr(v);
      return `${pythonQuotePlus(k)}=${pythonQuotePlus(text)}`;
    })
    .join('&');
}
