import { RootFile, type RootFileIndex } from '../io/file.js';
import { type InputSource, sourceName } from '../io/source.js';

/**
 * Opens merge inputs on demand, keeping at most `maxOpen` path inputs open (hadd -n). ByteSource inputs
 * cannot be reopened, so they stay open until closeAll.
 */
export class InputPool {
  private readonly open = new Map<number, RootFile>();
  /** Parsed state of inputs closed to respect the limit, so reopening them costs one open(). */
  private readonly parsed = new Map<number, RootFileIndex>();
  /** Input names (paths or source names) for messages. */
  readonly paths: string[];

  constructor(
    readonly inputs: InputSource[],
    private readonly maxOpen = 128,
  ) {
    this.paths = inputs.map(sourceName);
  }

  /** The open file for input `i` (reopened if it was closed to respect the limit). */
  async get(i: number): Promise<RootFile> {
    const found = this.open.get(i);
    if (found) {
      // Refresh LRU order.
      this.open.delete(i);
      this.open.set(i, found);
      return found;
    }
    while (this.maxOpen > 0 && this.open.size >= this.maxOpen) {
      const victim = [...this.open.keys()].find((k) => typeof this.inputs[k] === 'string');
      if (victim === undefined) break;
      const f = this.open.get(victim)!;
      this.open.delete(victim);
      this.parsed.set(victim, f.index());
      await f.close();
    }
    const known = this.parsed.get(i);
    const f = known ? await RootFile.reopen(known, this.inputs[i]!) : await RootFile.open(this.inputs[i]!);
    this.open.set(i, f);
    return f;
  }

  /** Closes one input (after an error, or its last use); a path input can still be reopened. */
  async release(i: number): Promise<void> {
    const f = this.open.get(i);
    if (!f) return;
    this.open.delete(i);
    if (typeof this.inputs[i] === 'string') this.parsed.set(i, f.index());
    await f.close();
  }

  /** Most inputs open at once (0 = no limit). */
  get limit(): number {
    return this.maxOpen;
  }

  async closeAll(): Promise<void> {
    for (const f of this.open.values()) await f.close();
    this.open.clear();
  }
}
