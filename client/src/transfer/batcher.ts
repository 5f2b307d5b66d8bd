/**
 * Groups catalog calls of many concurrent file transfers into few requests: each file awaits its own
 * outcome, but thousands of small files cost tens of requests instead of thousands.
 */

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A batcher: `add(item)` resolves once the item's batch was handled (or rejects with its error). */
export interface Batcher<T> {
  add(item: T): Promise<void>;
  /** Handles what is queued now (called at the end so nothing waits for the timer). */
  flush(): Promise<void>;
}

/**
 * Collects items for at most `delayMs` or `max` items, then calls `handle(batch)`. When a batch fails
 * as a whole, its items are handled one by one so that one bad file does not fail its neighbours.
 */
export function createBatcher<T>(
  handle: (items: T[]) => Promise<void>,
  opts: { max?: number; delayMs?: number } = {},
): Batcher<T> {
  const max = opts.max ?? 500;
  const delayMs = opts.delayMs ?? 25;
  let queue: Waiting<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const run = async (batch: Waiting<T>[]) => {
    try {
      await handle(batch.map((w) => w.item));
      for (const w of batch) w.resolve();
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      for (const w of batch) {
        try {
          await handle([w.item]);
          w.resolve();
        } catch (e) {
          w.reject(e);
        }
      }
    }
  };

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return running;
    const batch = queue;
    queue = [];
    // Batches run one after the other: the catalog sees requests in completion order.
    running = running.then(() => run(batch));
    return running;
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= max) void flush();
        else timer ??= setTimeout(() => void flush(), delayMs);
      });
    },
    flush,
  };
}
