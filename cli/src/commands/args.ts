/** Argument parsing shared by the commands. */
import { type Did, parseDid } from '@oxbow/common/rucio/index';
import { UsageError } from '../errors.js';

/** `scope:name` (or Rucio's scope extraction when there is no colon); a bad DID is a usage error. */
export function didArg(text: string): Did {
  try {
    return parseDid(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `key=value`; the value is typed as Rucio's CLI does for metadata (true/false/None, numbers stay strings). */
export function keyValueArg(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`'${text}' is not key=value`);
  return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A non-negative integer option. */
export function intArg(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`${name} must be a non-negative integer, not '${text}'`);
    return n;
  };
}

/** Strings 'true'/'false' as booleans, other text unchanged (attribute values). */
export function typedValue(text: string): string | boolean {
  if (/^true$/i.test(text)) return true;
  if (/^false$/i.test(text)) return false;
  return text;
}
