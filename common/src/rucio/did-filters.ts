// The DID search filter language of Rucio (rucio.core.did_meta_plugins.filter_engine and
// rucio.common.utils.parse_did_filter_from_string_fe), reduced to one normalised form.
//
// Input forms:
// (a) The CLI/user form, e.g. `rucio did list --filter 'type=all, run_number>=1000; datatype=AOD' scope:*`:
//       ';' separates OR groups, ',' separates AND clauses inside a group,
//       operators: '=' / '==' (equal), '!=' (not equal), '<', '<=', '>', '>=',
//       compound ranges 'v1 < key < v2' / 'v1 <= key <= v2' (and with '>', '>='), which become two clauses,
//       spaces around tokens are ignored, the same key+operator twice in a group is an error.
// (b) What Rucio's client sends to GET /dids/{scope}/dids/search: `filters` is the Python repr of a list of
//     dicts, URL-encoded (quote_plus), e.g. filters=[{'type': 'all', 'name': '*'}] or
//     [{'run_number.gte': '1000', 'name': '*'}]: one dict per OR group, keys suffixed with
//     '.gte', '.gt', '.lte', '.lt', '.ne' (no suffix = equal), values as the user typed them (strings), or
//     typed values when a program calls the client. JSON is accepted as well. Without `filters` the
//     other query parameters (except type, limit, long, recursive) form one group (old clients).
//
// Normalised form (DidFilter): an OR-list of AND-lists of {key, op, value}, op one of eq ne lt lte gt gte.
// Values are typed as Rucio's filter engine types strings: 'True'/'true'/'TRUE' and 'False'/… become
// booleans, 'None' null, numbers (int, float, 0x/0o/0b, '_' separators; not when the text holds '+', '-',
// '*' or '/') numbers, and the date formats '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S' (optionally with
// '.%fZ') and RFC 1123 ('Mon, 01 Jan 2024 00:00:00 UTC') Dates (UTC); everything else stays a string.
// Special keys: 'type' (equality only; all, collection, container, dataset, file, any case) selects DID
// types for its group, overriding the search's `type` parameter; 'created_after'/'created_before' become
// created_at gte/lte; 'name' and 'did_type' accept only equality operators; 'length' needs an integer;
// 'created_at' needs a date. A string value containing '*' or '%' is a wildcard pattern (equality operators
// only): '*' and '%' match any run of characters; a value that is exactly '*' or '%' does not filter at all.
//
// Deliberate differences from Rucio: Rucio rewrites 'true'/'false' inside any value ('mytrue' becomes
// 'myTrue') before typing it; here only whole values are converted. Keys are restricted to [A-Za-z0-9_]
// (Rucio enforces that for JSON metadata on PostgreSQL/Oracle only).

import { DIDFilterSyntaxError, DuplicateCriteriaInDIDFilter, UnsupportedOperation } from './errors.js';
import { DID_SEARCH_TYPES } from './names.js';
import {
  PythonLiteralError,
  type PythonValue,
  parsePythonLiteral,
  pythonUrlencode,
} from './python-literal.js';
import { DID_TYPES } from './states.js';

/** Comparison operators of the filter language. */
export type DidFilterOp = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte';
/** A typed filter value. */
export type DidFilterValue = string | number | boolean | Date | null;
/** One comparison. */
export interface DidFilterClause {
  key: string;
  op: DidFilterOp;
  value: DidFilterValue;
}
/** Clauses that must all hold. */
export type DidFilterGroup = DidFilterClause[];
/** Groups of which one must hold (an empty list matches everything). */
export type DidFilter = DidFilterGroup[];
/** One OR group as Rucio passes it around: suffixed keys ('run_number.gte') to values. */
export type RucioFilterDict = Record<string, string | number | boolean | Date | null>;

const SUFFIX_TO_OP: Record<string, DidFilterOp> = {
  '': 'eq',
  ne: 'ne',
  lt: 'lt',
  lte: 'lte',
  gt: 'gt',
  gte: 'gte',
};
const OP_TO_SUFFIX: Record<DidFilterOp, string> = {
  eq: '',
  ne: 'ne',
  lt: 'lt',
  lte: 'lte',
  gt: 'gt',
  gte: 'gte',
};
/** Textual operators of the CLI form, longest first so '<=' is not read as '<' then '='. */
const CLI_OPERATORS: Record<string, string> = {
  '<=': 'lte',
  '>=': 'gte',
  '==': '',
  '!=': 'ne',
  '>': 'gt',
  '<': 'lt',
  '=': '',
};
const OPPOSITE: Record<string, string> = { lt: 'gt', gt: 'lt', lte: 'gte', gte: 'lte' };

const KEY_RE = /^[A-Za-z0-9_]+$/;

/** Options of parseDidFilterString. */
export interface ParseDidFilterStringOptions {
  /** Name added to every group without a 'name' clause (the DID name of the command line); default '*'. */
  name?: string;
  /** Do not add the name clause (what the server-side filter engine does with a string); default false. */
  omitName?: boolean;
}

/**
 * The CLI form ('a=1, b>2; c<=3', ranges '1<=run<10') as the list of dicts Rucio's client builds from it
 * (parse_did_filter_from_string_fe): values stay strings, 'name' is added to each group unless omitted.
 */
export function parseDidFilterString(
  input: string,
  options: ParseDidFilterStringOptions = {},
): RucioFilterDict[] {
  const name = options.name ?? '*';
  const groups: RucioFilterDict[] = [];
  const splitter = /(<=|>=|==|!=|>|<|=)/;
  if (input) {
    for (const rawGroup of input.split(';').filter((g) => g !== '')) {
      const dict: RucioFilterDict = {};
      const put = (key: string, value: string, clause: string) => {
        if (Object.hasOwn(dict, key))
          throw new DuplicateCriteriaInDIDFilter(
            `Duplicate criteria for key/operator in filter expression: ${key} (in '${clause}'); each key+operator may appear once per ';'-separated group`,
          );
        dict[key] = value;
      };
      for (const rawClause of rawGroup
        .trim()
        .split(',')
        .filter((c) => c !== '')) {
        const clause = rawClause.trim();
        const tokens = clause.split(splitter).filter((t) => t !== '');
        if (tokens.length === 3) {
          const [key, op, value] = tokens.map((t) => t.trim()) as [string, string, string];
          const suffix = CLI_OPERATORS[op]!;
          put(suffix ? `${key}.${suffix}` : key, value, clause);
        } else if (tokens.length === 5) {
          const [v1, op1, key, op2, v2] = tokens.map((t) => t.trim()) as [
            string,
            string,
            string,
            string,
            string,
          ];
          const s1 = OPPOSITE[CLI_OPERATORS[op1]!];
          const s2 = CLI_OPERATORS[op2]!;
          if (s1 === undefined)
            throw new DIDFilterSyntaxError(
              `'${clause}': a range must start with '<', '<=', '>' or '>=' (as in 1<=run_number<10), found '${op1}'`,
            );
          put(`${key}.${s1}`, v1, clause);
          put(s2 ? `${key}.${s2}` : key, v2, clause);
        } else {
          throw new DIDFilterSyntaxError(
            `'${clause}' is not a filter clause; write key=value, key!=value, key<value, key<=value, key>value, key>=value or low<=key<high, separated by ',' (and) and ';' (or)`,
          );
        }
      }
      if (!options.omitName && !Object.hasOwn(dict, 'name')) dict.name = name;
      groups.push(dict);
    }
  } else if (!options.omitName) {
    groups.push({ name });
  }
  return groups;
}

function isScalar(v: PythonValue | undefined): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Read an already-parsed filters value (list of dicts, or one dict); throws DIDFilterSyntaxError. */
export function didFilterDictsFromValue(value: unknown): RucioFilterDict[] {
  const list = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object'
      ? [value]
      : undefined;
  if (!list)
    throw new DIDFilterSyntaxError(
      "Input filters are of an unrecognised type: expected a list of dicts such as [{'name': '*', 'run_number.gte': 1000}]",
    );
  return list.map((group, i) => {
    if (group === null || typeof group !== 'object' || Array.isArray(group))
      throw new DIDFilterSyntaxError(`Filter group ${i} is not a dict of key: value pairs`);
    const dict: RucioFilterDict = {};
    for (const [k, v] of Object.entries(group as Record<string, unknown>)) {
      if (typeof v === 'bigint') dict[k] = Number(v);
      else if (v instanceof Date || isScalar(v as PythonValue)) dict[k] = v as RucioFilterDict[string];
      else
        throw new DIDFilterSyntaxError(
          `Filter value of '${k}' in group ${i} must be a string, number, boolean or None, not ${Array.isArray(v) ? 'a list' : typeof v}`,
        );
    }
    return dict;
  });
}

/** The `filters` query parameter (URL-decoded): a Python repr as Rucio's client sends it, or JSON. */
export function parseDidFiltersParam(text: string): RucioFilterDict[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = parsePythonLiteral(text);
    } catch (e) {
      const why = e instanceof PythonLiteralError ? e.message : String(e);
      throw new DIDFilterSyntaxError(
        `filters must be a Python or JSON list of dicts such as [{'name': '*'}]; ${why}`,
      );
    }
  }
  return didFilterDictsFromValue(value);
}

/** Query parameters of GET /dids/{scope}/dids/search that are not filters. */
const SEARCH_PARAMS = new Set(['type', 'limit', 'long', 'recursive']);

/** Filter dicts of a DID search request: the `filters` parameter, or (old clients) the other parameters. */
export function didFilterDictsFromQuery(query: URLSearchParams): RucioFilterDict[] {
  const filters = query.get('filters');
  if (filters !== null) return parseDidFiltersParam(filters);
  const dict: RucioFilterDict = {};
  for (const [k, v] of query) if (!SEARCH_PARAMS.has(k)) dict[k] = v;
  return [dict];
}

// Python's strptime reads %a and %b as abbreviated English names only, in any case.
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_RE = '(?:mon|tue|wed|thu|fri|sat|sun)';

function utcDate(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  frac = '',
): Date | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, Number((frac || '0').padEnd(6, '0').slice(0, 3))));
  date.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  if (date.getUTCDate() !== d || date.getUTCMonth() !== mo - 1) return undefined; // e.g. 30 Feb
  return date;
}

/** A date in one of the formats Rucio's filter engine understands (as Python's strptime reads them), or undefined. */
export function parseRucioFilterDate(value: string): Date | undefined {
  const iso =
    /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])([ T])(2[0-3]|[01]\d|\d):([0-5]\d|\d):(6[01]|[0-5]\d|\d)(?:\.(\d{1,6})Z)?$/.exec(
      value,
    );
  if (iso) {
    const [, y, mo, d, , h, mi, s, frac] = iso;
    return utcDate(Number(y), Number(mo), Number(d!.trim()), Number(h), Number(mi), Number(s), frac);
  }
  const rfc = new RegExp(
    `^${DAY_RE}, (3[01]|[12]\\d|0[1-9]|[1-9]| [1-9]) ([a-z]+) (\\d{4}) (2[0-3]|[01]\\d|\\d):([0-5]\\d|\\d):(6[01]|[0-5]\\d|\\d) UTC$`,
    'i',
  ).exec(value);
  if (rfc) {
    const [, d, mon, y, h, mi, s] = rfc;
    const month = MONTH_NAMES.indexOf(mon!.toLowerCase());
    if (month < 0) return undefined;
    return utcDate(Number(y), month + 1, Number(d!.trim()), Number(h), Number(mi), Number(s));
  }
  return undefined;
}

/** A string value typed as Rucio's filter engine does (_try_typecast_string), see the module comment. */
export function typecastFilterValue(value: string): DidFilterValue {
  if (value === 'true' || value === 'TRUE' || value === 'True') return true;
  if (value === 'false' || value === 'FALSE' || value === 'False') return false;
  const date = parseRucioFilterDate(value);
  if (date) return date;
  // Rucio only hands text without arithmetic signs to ast.literal_eval.
  if (/[+\-*/]/.test(value)) return value;
  try {
    const v = parsePythonLiteral(value.replace(/^[ \t]+/, ''));
    if (typeof v === 'bigint') return Number(v);
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  } catch {
    // not a literal: a plain string
  }
  return value;
}

function isWildcard(v: DidFilterValue): v is string {
  return typeof v === 'string' && (v.includes('*') || v.includes('%'));
}

function describeValue(v: DidFilterValue): string {
  return v instanceof Date ? v.toISOString() : JSON.stringify(v);
}

/** Turn filter dicts (any input form) into the normalised, typed and checked DidFilter. */
export function normalizeDidFilters(dicts: readonly RucioFilterDict[]): DidFilter {
  return dicts.map((dict) => {
    const group: DidFilterGroup = [];
    const seen = new Set<string>();
    const entries = Object.entries(dict).map(([k, v]): [string, RucioFilterDict[string]] => {
      // Backwards compatibility kept by Rucio's filter engine.
      if (k === 'created_after') return ['created_at.gte', v];
      if (k === 'created_before') return ['created_at.lte', v];
      return [k, v];
    });
    for (const [rawKey, rawValue] of entries) {
      const parts = rawKey.split('.');
      if (parts.length > 2)
        throw new DIDFilterSyntaxError(
          `Filter key '${rawKey}' has more than one '.'; write key or key.<op> with op one of gte, gt, lte, lt, ne`,
        );
      let key = parts[0]!;
      // Rucio runs keys through ast.literal_eval, so a quoted key is unquoted.
      if (/^(['"]).*\1$/.test(key)) {
        try {
          const k = parsePythonLiteral(key);
          if (typeof k === 'string') key = k;
        } catch {
          // keep as is
        }
      }
      const suffix = parts[1] ?? '';
      const op = SUFFIX_TO_OP[suffix];
      if (op === undefined)
        throw new DIDFilterSyntaxError(
          `Unknown operator suffix '.${suffix}' in filter key '${rawKey}'; use .gte, .gt, .lte, .lt, .ne or no suffix for equality`,
        );
      if (!KEY_RE.test(key))
        throw new DIDFilterSyntaxError(
          `Invalid metadata key: '${key}'; filter keys may contain only letters, digits and '_'`,
        );
      let value: DidFilterValue;
      if (key === 'type') {
        if (op !== 'eq') throw new DIDFilterSyntaxError("The 'type' filter only supports '='.");
        const t = typeof rawValue === 'string' ? rawValue.toLowerCase() : String(rawValue);
        if (!Object.hasOwn(DID_SEARCH_TYPES, t))
          throw new UnsupportedOperation(
            `${t} is not a valid type. Valid types are ${Object.keys(DID_SEARCH_TYPES).join(', ')}`,
          );
        value = t;
      } else {
        value = typeof rawValue === 'string' ? typecastFilterValue(rawValue) : rawValue;
        if (typeof value === 'number' && !Number.isFinite(value))
          throw new DIDFilterSyntaxError(`Filter value of '${rawKey}' is not a finite number`);
      }
      if (key === 'did_type' && op !== 'eq') throw new DIDFilterSyntaxError('Type operator must be equals.');
      if (key === 'name' && op !== 'eq' && op !== 'ne')
        throw new DIDFilterSyntaxError("Name operator must be an equality operator ('=' or '!=').");
      if (key === 'length' && typeof value !== 'number' && typeof value !== 'boolean')
        throw new DIDFilterSyntaxError(`Length has to be an integer value, got ${describeValue(value)}.`);
      if (isWildcard(value) && op !== 'eq' && op !== 'ne')
        throw new DIDFilterSyntaxError(
          `Wildcards can only be used with equality operators ('${rawKey}': ${describeValue(value)}).`,
        );
      if (key === 'created_at' && !(value instanceof Date))
        throw new DIDFilterSyntaxError(
          `Couldn't parse date ${describeValue(value)}. Valid formats are: '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S.%fZ', '%Y-%m-%dT%H:%M:%S.%fZ', '%a, %d %b %Y %H:%M:%S UTC'`,
        );
      const id = `${key}.${op}`;
      if (seen.has(id))
        throw new DuplicateCriteriaInDIDFilter(
          `Duplicate criteria for key/operator in filter expression: ${key}${suffix ? `.${suffix}` : ''}`,
        );
      seen.add(id);
      group.push({ key, op, value });
    }
    return group;
  });
}

/** Options of parseDidFilter. */
export interface ParseDidFilterOptions extends ParseDidFilterStringOptions {}

/**
 * Any filter input as a DidFilter: the CLI form, a Python repr or JSON text (starting with '[' or '{'),
 * or already-parsed dicts. The CLI form omits the name clause unless `name` is given.
 */
export function parseDidFilter(
  input: string | RucioFilterDict | readonly RucioFilterDict[],
  options: ParseDidFilterOptions = {},
): DidFilter {
  if (typeof input !== 'string') return normalizeDidFilters(didFilterDictsFromValue(input));
  const trimmed = input.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{'))
    return normalizeDidFilters(parseDidFiltersParam(trimmed));
  const omitName = options.omitName ?? options.name === undefined;
  return normalizeDidFilters(parseDidFilterString(input, { name: options.name, omitName }));
}

/** A DidFilter as the list of dicts Rucio's client sends (Dates stay Dates; the client turns them into RFC 1123 text). */
export function didFilterToDicts(filter: DidFilter): RucioFilterDict[] {
  return filter.map((group) => {
    const dict: RucioFilterDict = {};
    for (const c of group) dict[OP_TO_SUFFIX[c.op] ? `${c.key}.${OP_TO_SUFFIX[c.op]}` : c.key] = c.value;
    return dict;
  });
}

/** DID types a group covers: its 'type' clause, else the search's type parameter. */
export function didTypesOfGroup(group: DidFilterGroup, searchType = 'collection'): readonly string[] {
  const clause = group.find((c) => c.key === 'type');
  const t = clause ? String(clause.value) : searchType.toLowerCase();
  const types = DID_SEARCH_TYPES[t];
  if (!types)
    throw new UnsupportedOperation(
      `${t} is not a valid type. Valid types are ${Object.keys(DID_SEARCH_TYPES).join(', ')}`,
    );
  return types;
}

/** Regex for a Rucio wildcard: '*' and '%' match any run of characters, everything else is literal. */
export function wildcardToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' || c === '%' ? '.*' : c.replace(/[\\^$.|?+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  return undefined;
}

function asTime(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const d = parseRucioFilterDate(v) ?? new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d.getTime();
  }
  return undefined;
}

function compare(a: number | string, b: number | string, op: DidFilterOp): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
  }
}

function didTypeName(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const upper = v.toUpperCase();
  if (Object.hasOwn(DID_TYPES, upper)) return upper;
  for (const [n, c] of Object.entries(DID_TYPES)) if (c === v) return n;
  return undefined;
}

/** Whether one clause holds for an object (missing keys are null). */
export function matchesDidFilterClause(
  clause: DidFilterClause,
  obj: Readonly<Record<string, unknown>>,
): boolean {
  const { key, op, value } = clause;
  if (key === 'type') {
    const types = DID_SEARCH_TYPES[String(value)] ?? [];
    const t = didTypeName(obj.did_type ?? obj.type);
    return t !== undefined && types.includes(t as never);
  }
  const actual = Object.hasOwn(obj, key) ? obj[key] : undefined;
  if (isWildcard(value)) {
    if (value === '*' || value === '%') return true;
    if (actual === null || actual === undefined) return op === 'ne';
    const hit = wildcardToRegExp(value).test(String(actual));
    return op === 'eq' ? hit : !hit;
  }
  if (value === null) return op === 'eq' ? actual == null : op === 'ne' ? actual != null : false;
  // Like SQL, a missing value satisfies only '!=' (Rucio adds "OR key IS NULL" to '!=' on columns).
  if (actual === null || actual === undefined) return op === 'ne';
  if (key === 'did_type') {
    const a = didTypeName(actual);
    const b = didTypeName(value);
    return a !== undefined && a === b;
  }
  let pair: [number | string, number | string] | undefined;
  if (typeof value === 'number') {
    const a = asNumber(actual);
    if (a !== undefined) pair = [a, value];
  } else if (typeof value === 'boolean') {
    const a = asBoolean(actual);
    if (a !== undefined) pair = [Number(a), Number(value)];
  } else if (value instanceof Date) {
    const a = asTime(actual);
    if (a !== undefined) pair = [a, value.getTime()];
  } else {
    pair = [actual instanceof Date ? actual.toISOString() : String(actual), value];
  }
  // Values that cannot be compared with the filter's type match nothing but '!='.
  if (!pair) return op === 'ne';
  return compare(pair[0], pair[1], op);
}

/** Options of matchesDidFilter. */
export interface MatchDidFilterOptions {
  /**
   * The search's type parameter ('all', 'collection', ...), applied to groups without a 'type' clause via
   * the object's did_type; omit to ignore DID types.
   */
  searchType?: string;
}

/** Whether a plain object (a DID with its metadata) satisfies the filter: some group has all its clauses true. */
export function matchesDidFilter(
  filter: DidFilter,
  obj: Readonly<Record<string, unknown>>,
  options: MatchDidFilterOptions = {},
): boolean {
  if (filter.length === 0) return true;
  return filter.some((group) => {
    if (options.searchType !== undefined && !group.some((c) => c.key === 'type')) {
      const types = didTypesOfGroup(group, options.searchType);
      const t = didTypeName(obj.did_type ?? obj.type);
      if (t === undefined || !types.includes(t as never)) return false;
    }
    return group.every((c) => matchesDidFilterClause(c, obj));
  });
}

/** Parameters of a DID search as Rucio's client (DIDClient.list_dids) sends them. */
export interface DidSearchQuery {
  type?: string;
  filters: readonly RucioFilterDict[];
  long?: boolean;
  recursive?: boolean;
}

/** Query string of GET /dids/{scope}/dids/search exactly as Rucio's client builds it (type, filters, long, recursive). */
export function didSearchQueryString(query: DidSearchQuery): string {
  return pythonUrlencode({
    type: query.type ?? 'collection',
    filters: query.filters.map((d) => ({ ...d })) as PythonValue,
    long: query.long ?? false,
    recursive: query.recursive ?? false,
  });
}
