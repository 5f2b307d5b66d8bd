/** A daemon's polling loop: run a step, again at once while it finds work, else after an interval. */

/** A running daemon. */
export interface Daemon {
  name: string;
  /** Runs one step now (tests, benchmarks); resolves to how much work it found. */
  runOnce(): Promise<number>;
  /** Stops polling and waits for the step in progress (so its transactions finish). */
  stop(): Promise<void>;
}

/** Options of startLoop. */
export interface LoopOptions {
  intervalMs: number;
  onError?: (err: unknown) => void;
  /** Do not poll: steps run only through runOnce (`oxbow daemon --once`, benchmarks). */
  manual?: boolean;
}

/** Starts polling `step`; errors are reported and the loop goes on after the interval. */
export function startLoop(
  name: string,
  step: () => Promise<number>,
  o: LoopOptions,
  cleanup?: () => Promise<void>,
): Daemon {
  let running = true;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = async () => {
    while (running && !o.manual) {
      let found = 0;
      const p = step().then(
        (n) => {
          found = n;
        },
        (err) => o.onError?.(err),
      );
      current = p;
      await p;
      if (!running) break;
      if (found > 0) continue;
      await new Promise<void>((ok) => {
        wake = ok;
        timer = setTimeout(ok, o.intervalMs);
      });
    }
  };
  const done = loop();
  return {
    name,
    runOnce: step,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await current;
      await done;
      await cleanup?.();
    },
  };
}
