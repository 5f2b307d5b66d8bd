/**
 * Output of the commands: aligned tables for people, JSON for programs (`--json`: one JSON document,
 * or one JSON document per line for lists). Lists are written as they stream in.
 */
import type { Writable } from 'node:stream';

/** One column of a table. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Right-align (numbers). */
  right?: boolean;
}

// Widths are measured on the first rows only, so a million-row list is printed in bounded memory.
const WIDTH_SAMPLE = 500;

/** Text of a cell: null/undefined as empty, objects as JSON. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Bytes in human units (base 1000, as Rucio prints them). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(3)} ${units[i]}`;
}

/** Writes to the command's stdout, honouring back-pressure. */
export class Output {
  constructor(
    readonly stdout: Writable,
    readonly json: boolean,
  ) {}

  /** Writes text, waiting for the stream to drain when its buffer is full. */
  async write(text: string): Promise<void> {
    if (!this.stdout.write(text)) await new Promise<void>((resolve) => this.stdout.once('drain', resolve));
  }

  /** One result: JSON document with --json, otherwise the human rendering. */
  async doc(value: unknown, human: () => string): Promise<void> {
    await this.write(this.json ? `${JSON.stringify(value)}\n` : ensureNewline(human()));
  }

  /** A key/value block for one object (human form). */
  static keyValues(obj: Record<string, unknown>): string {
    const keys = Object.keys(obj);
    const w = Math.max(0, ...keys.map((k) => k.length));
    return keys.map((k) => `${`${k}:`.padEnd(w + 2)}${cell(obj[k])}`).join('\n');
  }

  /** A streamed list: JSON lines with --json, otherwise a table. Returns the number of rows. */
  async list<T>(items: AsyncIterable<T>, columns: Column<T>[], toJson: (row: T) => unknown = (r) => r) {
    let n = 0;
    if (this.json) {
      let buf = '';
      for await (const item of items) {
        buf += `${JSON.stringify(toJson(item))}\n`;
        n++;
        if (buf.length > 64 * 1024) {
          await this.write(buf);
          buf = '';
        }
      }
      if (buf) await this.write(buf);
      return n;
    }
    const sample: string[][] = [];
    const widths = columns.map((c) => c.header.length);
    const render = (cells: string[]) =>
      `${cells
        .map((c, i) =>
          i === cells.length - 1 && !columns[i]!.right
            ? c
            : columns[i]!.right
              ? c.padStart(widths[i]!)
              : c.padEnd(widths[i]!),
        )
        .join('  ')}\n`;
    const it = items[Symbol.asyncIterator]();
    let next = await it.next();
    while (!next.done && sample.length < WIDTH_SAMPLE) {
      const cells = columns.map((c) => cell(c.value(next.value as T)));
      cells.forEach((c, i) => {
        widths[i] = Math.max(widths[i]!, c.length);
      });
      sample.push(cells);
      next = await it.next();
    }
    let buf = render(columns.map((c) => c.header));
    for (const cells of sample) buf += render(cells);
    n = sample.length;
    await this.write(buf);
    buf = '';
    while (!next.done) {
      buf += render(columns.map((c) => cell(c.value(next.value as T))));
      n++;
      if (buf.length > 64 * 1024) {
        await this.write(buf);
        buf = '';
      }
      next = await it.next();
    }
    if (buf) await this.write(buf);
    return n;
  }
}

function ensureNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}
