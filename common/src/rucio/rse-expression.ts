// Rucio's RSE expression language (rucio.core.rse_expression_parser), parsed and evaluated over plain data.
//
// Grammar, exactly as Rucio accepts it (no whitespace anywhere):
//   expression := term (op term)*          evaluated strictly left to right: A|B&C is (A|B)&C
//   op         := '|' union  |  '&' intersection  |  '\' complement (difference: left minus right)
//   term       := '(' expression ')' | primitive
//   primitive  := key ('=' | '<' | '>') value      key [A-Za-z0-9._-]+, value [A-Za-z0-9_-]+
//               | name                             [A-Za-z0-9]+ ([_-][A-Za-z0-9]+)*  means name=True
//               | '*'                              every RSE
// There is no '!=', '<=', '>=', no quoting, and values cannot contain '.', so 'x<1.5' is invalid.
//
// Evaluation follows Rucio's database queries:
// - key=value: if the key is a column of Rucio's `rses` table (rse, rse_type, deterministic, ...) the column
//   is compared (booleans accept 1/0/true/false in any case; rse_type must be DISK or TAPE); otherwise the
//   RSE attribute is compared as Rucio stores it: booleans and the strings 'true'/'false' in any case
//   become 'true'/'false', everything else its string form, compared case-sensitively. Every RSE carries
//   its own name as an attribute set to true, so a bare name selects that RSE.
// - key<n, key>n: among RSEs having the attribute, both sides are converted as Python's float() would
//   (a stored boolean true is 1.0); an RSE whose value does not convert is skipped, a non-numeric n
//   selects nothing.
// - An empty result raises InvalidRSEExpression('RSE Expression resulted in an empty set.'), as Rucio does.

import { InvalidObject, InvalidRSEExpression, RSEWriteBlocked } from './errors.js';

/** Attribute test of a primitive; a bare RSE name is `{ key: NAME, op: '=', value: true }`. */
export interface RseAttributeNode {
  type: 'attribute';
  key: string;
  op: '=' | '<' | '>';
  value: string | true;
  /** Offset of the primitive in the expression. */
  start: number;
}

/** The '*' primitive: every RSE. */
export interface RseAllNode {
  type: 'all';
  start: number;
}

/** A binary set operation. */
export interface RseOperatorNode {
  type: 'union' | 'intersection' | 'complement';
  left: RseExpressionNode;
  right: RseExpressionNode;
}

/** Parsed RSE expression. */
export type RseExpressionNode = RseAttributeNode | RseAllNode | RseOperatorNode;

/** An RSE as the evaluator needs it. */
export interface RseForExpression {
  id: string;
  /** RSE name. */
  rse: string;
  /** RSE attributes (Rucio's rse_attr_map), including the RSE's own name set to true. */
  attributes: Readonly<Record<string, string | boolean | number | null | undefined>>;
  /**
   * Values of Rucio's `rses` table columns (rse_type, deterministic, volatile, staging_area, availability_*,
   * city, ...). When given, `key=value` on a column name compares the column as Rucio does; when absent,
   * such keys are looked up in `attributes`.
   */
  columns?: Readonly<Record<string, string | boolean | number | null | undefined>>;
  /** VO, used by the `vo` option. */
  vo?: string;
  /** Used by the `requireWrite` option. */
  availability_write?: boolean;
}

/** Options of evaluateRseExpression. */
export interface EvaluateRseExpressionOptions {
  /** Keep only RSEs of this VO (Rucio's `filter_={'vo': ...}`). */
  vo?: string;
  /** Keep only RSEs with availability_write (Rucio's `filter_={'availability_write': True}`); RSEWriteBlocked when none is left. */
  requireWrite?: boolean;
}

const OPERATORS: Record<string, RseOperatorNode['type']> = {
  '|': 'union',
  '&': 'intersection',
  '\\': 'complement',
};

const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c);
const isKeyChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9._-]/.test(c);
const isValueChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_-]/.test(c);

const GRAMMAR_HINT =
  'an RSE expression combines NAME, key=value, key<n, key>n and * with | (union), & (intersection), \\ (complement) and parentheses, without spaces';

function describe(c: string | undefined): string {
  if (c === undefined) return 'the end of the expression';
  if (c === ' ') return 'a space';
  return `'${c}'`;
}

function syntaxError(expr: string, pos: number, what: string): InvalidRSEExpression {
  return new InvalidRSEExpression(
    `Expression does not comply to RSE Expression syntax: ${what} at position ${pos} of '${expr}' (${GRAMMAR_HINT})`,
  );
}

/** Rucio checks parentheses first, with its own message. */
function checkParentheses(expr: string): void {
  const open: number[] = [];
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === '(') open.push(i);
    else if (expr[i] === ')') {
      if (open.length === 0)
        throw new InvalidRSEExpression(
          `Problem with parentheses: ')' at position ${i} of '${expr}' closes no '('.`,
        );
      open.pop();
    }
  }
  if (open.length > 0)
    throw new InvalidRSEExpression(
      `Problem with parentheses: '(' at position ${open[0]} of '${expr}' is never closed.`,
    );
}

/** Why no primitive starts at `pos`, phrased for the user. */
function explainBadPrimitive(expr: string, pos: number): string {
  const c = expr[pos];
  if (c === undefined) return 'expected an RSE name, attribute test or * but found the end of the expression';
  if (c === ' ') return 'spaces are not allowed; found a space';
  if (c === '!' && expr[pos + 1] === '=')
    return "'!=' is not supported (use '*\\key=value' for 'not key=value'); found '!'";
  if (c === '_' || c === '-' || c === '.') {
    // A key may start with these characters, but only in key=value/key<n/key>n form.
    let end = pos;
    while (isKeyChar(expr[end])) end++;
    const op = expr[end];
    if (op === '=' || op === '<' || op === '>')
      return `expected a value of [A-Za-z0-9_-] after '${op}' but found ${describe(expr[end + 1])}`;
    return `an RSE name cannot start with ${describe(c)}`;
  }
  return `expected an RSE name, attribute test or * but found ${describe(c)}`;
}

/** Why the text after a complete primitive at `pos` is not an operator. */
function explainAfterPrimitive(expr: string, pos: number, prim: RseAttributeNode | RseAllNode): string {
  const c = expr[pos];
  if (c === ' ') return 'spaces are not allowed; found a space';
  if (c === '(') return "found '(' where an operator '|', '&' or '\\' was expected";
  if (prim.type === 'attribute' && prim.value === true) {
    if (c === '.') return `'.' is not allowed in a bare RSE name (only in keys of key=value)`;
    if (c === '_' || c === '-') return `an RSE name cannot end with or repeat ${describe(c)}`;
    if (c === '!' && expr[pos + 1] === '=')
      return "'!=' is not supported (use '*\\key=value' for 'not key=value')";
    if ((c === '<' || c === '>' || c === '=') && expr[pos + 1] === '=')
      return `'${c}=' is not supported; use '=', '<' or '>'`;
    if (c === '<' || c === '>' || c === '=')
      return `expected a value of [A-Za-z0-9_-] after '${c}' but found ${describe(expr[pos + 1])}`;
  }
  if (prim.type === 'attribute' && prim.value !== true) {
    if (c === '.') return "values cannot contain '.' (decimal numbers are not supported)";
    if (c === '=' && prim.op !== '=')
      return `'${prim.op}=' is not supported; only '<' and '>' compare numbers`;
    if (c === '=' || c === '<' || c === '>')
      return `a primitive has a single operator; found a second ${describe(c)}`;
  }
  return `expected '|', '&', '\\', ')' or the end of the expression but found ${describe(c)}`;
}

/**
 * Scan a primitive at `pos` the way Rucio's regex does: the key=value form is tried first, then the bare
 * name, then '*'; each takes the longest match, and nothing is retried if what follows does not fit.
 */
function scanPrimitive(
  expr: string,
  pos: number,
): { node: RseAttributeNode | RseAllNode; end: number } | undefined {
  let end = pos;
  while (isKeyChar(expr[end])) end++;
  const op = expr[end];
  if (end > pos && (op === '=' || op === '<' || op === '>') && isValueChar(expr[end + 1])) {
    let vend = end + 1;
    while (isValueChar(expr[vend])) vend++;
    return {
      node: {
        type: 'attribute',
        key: expr.slice(pos, end),
        op,
        value: expr.slice(end + 1, vend),
        start: pos,
      },
      end: vend,
    };
  }
  if (isAlnum(expr[pos])) {
    let nend = pos;
    while (isAlnum(expr[nend])) nend++;
    while ((expr[nend] === '_' || expr[nend] === '-') && isAlnum(expr[nend + 1])) {
      nend++;
      while (isAlnum(expr[nend])) nend++;
    }
    return {
      node: { type: 'attribute', key: expr.slice(pos, nend), op: '=', value: true, start: pos },
      end: nend,
    };
  }
  if (expr[pos] === '*') return { node: { type: 'all', start: pos }, end: pos + 1 };
  return undefined;
}

/** Parse an RSE expression into a tree; throws InvalidRSEExpression saying where it is wrong. */
export function parseRseExpression(expression: string): RseExpressionNode {
  if (typeof expression !== 'string') throw new InvalidRSEExpression('An RSE expression must be a string.');
  checkParentheses(expression);
  let pos = 0;
  // Parentheses are balanced and only ever sit right before or right after a primitive (checked while
  // scanning), so plain recursive descent reproduces Rucio's left-to-right evaluation.
  const parseTerm = (): RseExpressionNode => {
    if (expression[pos] === '(') {
      pos++;
      const inner = parseExpr();
      if (expression[pos] !== ')')
        throw syntaxError(expression, pos, `expected ')' but found ${describe(expression[pos])}`);
      pos++;
      const next = expression[pos];
      if (next !== undefined && next !== ')' && !(next in OPERATORS))
        throw syntaxError(
          expression,
          pos,
          next === ' '
            ? 'spaces are not allowed; found a space'
            : `expected '|', '&', '\\', ')' or the end of the expression after ')' but found ${describe(next)}`,
        );
      return inner;
    }
    const scanned = scanPrimitive(expression, pos);
    if (!scanned) throw syntaxError(expression, pos, explainBadPrimitive(expression, pos));
    pos = scanned.end;
    const next = expression[pos];
    if (next !== undefined && next !== ')' && !(next in OPERATORS))
      throw syntaxError(expression, pos, explainAfterPrimitive(expression, pos, scanned.node));
    return scanned.node;
  };
  const parseExpr = (): RseExpressionNode => {
    let left = parseTerm();
    while (pos < expression.length && expression[pos]! in OPERATORS) {
      const type = OPERATORS[expression[pos]!]!;
      pos++;
      const right = parseTerm();
      left = { type, left, right };
    }
    return left;
  };
  const tree = parseExpr();
  if (pos !== expression.length) {
    // Only reachable with a ')' that closes the outermost level early, which checkParentheses excludes;
    // kept as a guard.
    throw syntaxError(expression, pos, `unexpected ${describe(expression[pos])}`);
  }
  return tree;
}

/** Rucio's expression text for a tree (fully parenthesised where needed to keep left-to-right meaning). */
export function formatRseExpression(node: RseExpressionNode): string {
  switch (node.type) {
    case 'all':
      return '*';
    case 'attribute':
      return node.value === true ? node.key : `${node.key}${node.op}${node.value}`;
    default: {
      const op = node.type === 'union' ? '|' : node.type === 'intersection' ? '&' : '\\';
      const right = node.right.type === 'attribute' || node.right.type === 'all';
      return `${formatRseExpression(node.left)}${op}${right ? formatRseExpression(node.right) : `(${formatRseExpression(node.right)})`}`;
    }
  }
}

/** Columns of Rucio's `rses` table: `key=value` on these compares the column, not an attribute. */
export const RSE_TABLE_COLUMNS: ReadonlySet<string> = new Set([
  'id',
  'rse',
  'vo',
  'rse_type',
  'deterministic',
  'volatile',
  'staging_area',
  'city',
  'region_code',
  'country_name',
  'continent',
  'time_zone',
  'ISP',
  'ASN',
  'longitude',
  'latitude',
  'availability',
  'availability_read',
  'availability_write',
  'availability_delete',
  'qos_class',
  'created_at',
  'updated_at',
  'deleted',
  'deleted_at',
]);

const BOOLEAN_COLUMNS = new Set([
  'deterministic',
  'volatile',
  'staging_area',
  'availability_read',
  'availability_write',
  'availability_delete',
]);

/** A value as Rucio's BooleanString column stores it (booleans and 'true'/'false' in any case normalised). */
export function rseAttributeStoredForm(value: string | boolean | number): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower;
    return value;
  }
  return String(value);
}

/** Python float() of a string, or undefined where Python raises ValueError. */
export function pythonFloat(value: string | number | boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const s = value.trim();
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  // Python allows single underscores between digits (PEP 515).
  const digits = '[0-9](?:_?[0-9])*';
  const re = new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`);
  if (!re.test(s)) return undefined;
  return Number(s.replaceAll('_', ''));
}

function columnEquals(key: string, column: unknown, value: string): boolean {
  if (BOOLEAN_COLUMNS.has(key)) {
    let wanted: boolean;
    if (value === '1' || value.toLowerCase() === 'true') wanted = true;
    else if (value === '0' || value.toLowerCase() === 'false') wanted = false;
    else throw new InvalidObject(`Invalid boolean value: ${value}`);
    return column === wanted || column === (wanted ? 'true' : 'false') || column === (wanted ? 1 : 0);
  }
  if (key === 'rse_type' && value !== 'DISK' && value !== 'TAPE')
    throw new InvalidObject(`Invalid rse_type: ${value}`);
  if (column === null || column === undefined) return false;
  if (typeof column === 'number') {
    const n = pythonFloat(value);
    return n !== undefined && n === column;
  }
  return String(column) === value;
}

function matchesAttribute(node: RseAttributeNode, rse: RseForExpression): boolean {
  if (node.op === '=') {
    const value = node.value;
    if (typeof value === 'string' && (node.key === 'rse' || node.key === 'id' || node.key === 'vo')) {
      const column =
        node.key === 'rse' ? rse.rse : node.key === 'id' ? rse.id : (rse.columns?.vo ?? rse.vo ?? 'def');
      return columnEquals(node.key, column, value);
    }
    if (typeof value === 'string' && rse.columns && RSE_TABLE_COLUMNS.has(node.key))
      return columnEquals(node.key, rse.columns[node.key], value);
    if (!Object.hasOwn(rse.attributes, node.key)) return false;
    const stored = rse.attributes[node.key];
    if (stored === null || stored === undefined) return false;
    return rseAttributeStoredForm(stored) === rseAttributeStoredForm(value);
  }
  if (!Object.hasOwn(rse.attributes, node.key)) return false;
  const stored = rse.attributes[node.key];
  if (stored === null || stored === undefined) return false;
  // Rucio reads the attribute back through BooleanString, so 'true'/'false' come back as booleans (1.0/0.0).
  const storedForm = typeof stored === 'string' ? rseAttributeStoredForm(stored) : stored;
  const left = pythonFloat(storedForm === 'true' ? true : storedForm === 'false' ? false : storedForm);
  const right = pythonFloat(node.value as string);
  if (left === undefined || right === undefined) return false;
  return node.op === '<' ? left < right : left > right;
}

function resolve(node: RseExpressionNode, rses: readonly RseForExpression[]): Set<number> {
  switch (node.type) {
    case 'all':
      return new Set(rses.keys());
    case 'attribute': {
      const out = new Set<number>();
      rses.forEach((rse, i) => {
        if (matchesAttribute(node, rse)) out.add(i);
      });
      return out;
    }
    case 'union': {
      const out = resolve(node.left, rses);
      for (const i of resolve(node.right, rses)) out.add(i);
      return out;
    }
    case 'intersection': {
      const right = resolve(node.right, rses);
      return new Set([...resolve(node.left, rses)].filter((i) => right.has(i)));
    }
    case 'complement': {
      const right = resolve(node.right, rses);
      return new Set([...resolve(node.left, rses)].filter((i) => !right.has(i)));
    }
  }
}

/** RSEs an expression selects, in input order, without Rucio's empty-set error. */
export function selectRses<T extends RseForExpression>(
  expression: string | RseExpressionNode,
  rses: readonly T[],
): T[] {
  const tree = typeof expression === 'string' ? parseRseExpression(expression) : expression;
  const chosen = resolve(tree, rses);
  return rses.filter((_, i) => chosen.has(i));
}

/**
 * RSEs an expression selects (input order), as Rucio's parse_expression: InvalidRSEExpression on bad syntax or
 * an empty result (after the VO filter), RSEWriteBlocked when `requireWrite` leaves nothing.
 */
export function evaluateRseExpression<T extends RseForExpression>(
  expression: string | RseExpressionNode,
  rses: readonly T[],
  options: EvaluateRseExpressionOptions = {},
): T[] {
  let result = selectRses(expression, rses);
  if (options.vo !== undefined)
    result = result.filter((r) => (r.columns?.vo ?? r.vo ?? 'def') === options.vo);
  if (result.length === 0) throw new InvalidRSEExpression('RSE Expression resulted in an empty set.');
  if (options.requireWrite) {
    result = result.filter((r) => (r.columns?.availability_write ?? r.availability_write) !== false);
    if (result.length === 0) throw new RSEWriteBlocked('RSE excluded; not available for writing.');
  }
  return result;
}
