/** Progress events of uploads and downloads (the CLI draws bars from them; library users may log them). */
import { Transform, type TransformCallback } from 'node:stream';

/** What a transfer reports while it runs. */
export type TransferEvent =
  /** Totals are known (after listing/collecting and the checks that skip files). */
  | { type: 'plan'; files: number; bytes: number }
  /** Bytes moved (negative when a failed attempt's bytes are taken back before a retry). */
  | { type: 'bytes'; bytes: number }
  /** One file finished (done, skipped because already there, or failed for good). */
  | { type: 'file'; scope: string; name: string; status: 'done' | 'skipped' | 'failed'; bytes: number }
  /** A non-fatal remark (e.g. a replica rejected and another one tried). */
  | { type: 'warning'; message: string };

/** Callback receiving TransferEvents. */
export type ProgressListener = (event: TransferEvent) => void;

/** Pass-through stream that reports how many bytes went through (to drive byte progress bars). */
export function byteCounter(onBytes: (n: number) => void): Transform & { count(): number } {
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      n += chunk.length;
      onBytes(chunk.length);
      cb(null, chunk);
    },
  }) as Transform & { count(): number };
  t.count = () => n;
  return t;
}
