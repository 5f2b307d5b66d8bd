import { Worker } from 'node:worker_threads';
import { compress } from './codec.js';

interface Pending {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
}

/**
 * Compresses payloads on worker threads (hadd -j N): with N > 1, N workers; otherwise compression runs
 * on the calling thread. Results are identical to compress().
 */
export class CompressPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending & { worker: number }>();
  private nextId = 1;

  constructor(readonly threads: number) {
    if (threads <= 1) return;
    for (let i = 0; i < threads; i++) {
      // Small heaps: the worker only holds the payload it is compressing, and transferred buffers are
      // freed sooner when its young generation is collected often (keeps the merge's peak RSS low).
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
      });
      w.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.load[p.worker]!--;
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(Buffer.from(m.out!.buffer, m.out!.byteOffset, m.out!.byteLength));
      });
      w.on('error', (err) => {
        for (const [id, p] of this.pending)
          if (p.worker === i) {
            this.pending.delete(id);
            p.reject(err);
          }
      });
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** Compresses `data` (not modified; a copy goes to the worker) with a ROOT setting. */
  compress(data: Uint8Array, setting: number): Promise<Uint8Array> {
    if (this.workers.length === 0) return compress(data, setting);
    let wi = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[wi]!) wi = i;
    const id = this.nextId++;
    const copy = new Uint8Array(data);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: wi });
      this.load[wi]!++;
      this.workers[wi]!.postMessage({ id, data: copy, setting }, [copy.buffer]);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
