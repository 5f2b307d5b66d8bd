import { RootFile } from '../io/file.js';

/** Opens merge inputs on demand, keeping at most `maxOpen` of them open (hadd -n). */
export class InputPool {
  private readonly open = new Map<number, RootFile>();

  constructor(
    readonly paths: string[],
    private readonly maxOpen = 128,
  ) {}

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
      const [oldest, f] = this.open.entries().next().value as [number, RootFile];
      this.open.delete(oldest);
      await f.close();
    }
    const f = await RootFile.open(this.paths[i]!);
    this.open.set(i, f);
    return f;
  }

  /** Closes one input (after its last use). */
  async release(i: number): Promise<void> {
    const f = this.open.get(i);
    if (!f) return;
    this.open.delete(i);
    await f.close();
  }

  async closeAll(): Promise<void> {
    for (const f of this.open.values()) await f.close();
    this.open.clear();
  }
}
