import type { FileHandle } from 'node:fs/promises';

/** Parts at least this large are queued as they are (no copy into the buffer). */
const DIRECT = 1 << 20;

/**
 * Sequential file writer that never waits for the disk unless too much is in flight: small parts are
 * gathered into large buffers, large parts are queued as they are, and writes run in order in the
 * background while the caller reads and compresses the next data. At most `maxInFlight` bytes are
 * queued (bounded memory). Appended buffers are owned by the sink until written: callers must not
 * modify them afterwards. Earlier bytes can be patched by position once everything is flushed.
 */
export class Sink {
  private buf: Buffer;
  private readonly spare: Buffer[] = [];
  private used = 0;
  private inFlight = 0;
  private readonly pending: Promise<void>[] = [];
  private tail: Promise<void> = Promise.resolve();
  private error: unknown;
  /** Position in the file of the next appended byte. */
  pos: number;

  constructor(
    private readonly fh: FileHandle,
    start: number,
    private readonly bufferSize = 4 << 20,
    private readonly maxInFlight = 16 << 20,
  ) {
    this.pos = start;
    this.buf = Buffer.allocUnsafe(bufferSize);
  }

  /** Appends bytes; returns the position where they start. */
  async append(...parts: Uint8Array[]): Promise<number> {
    this.check();
    const at = this.pos;
    for (const p of parts) {
      if (p.length >= DIRECT) {
        this.startFlush();
        this.enqueue(p, this.pos, false);
      } else {
        if (this.used + p.length > this.bufferSize) this.startFlush();
        this.buf.set(p, this.used);
        this.used += p.length;
      }
      this.pos += p.length;
    }
    while (this.inFlight > this.maxInFlight) await this.pending.shift();
    this.check();
    return at;
  }

  /** Leaves a hole of n bytes (never written: sparse on file systems that support it). */
  async skip(n: number): Promise<void> {
    this.startFlush();
    this.pos += n;
  }

  /** Reserves zeroed space (to patch later); returns its position. */
  reserve(n: number): Promise<number> {
    return this.append(Buffer.alloc(n));
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  /** Queues the filled buffer for writing and continues in a fresh (or recycled) one. */
  private startFlush(): void {
    if (this.used === 0) return;
    const full = this.buf.subarray(0, this.used);
    this.enqueue(full, this.pos - this.used, true);
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(this.bufferSize);
    this.used = 0;
  }

  private enqueue(bytes: Uint8Array, at: number, recycle: boolean): void {
    this.inFlight += bytes.length;
    const done = this.tail.then(async () => {
      if (this.error) return;
      try {
        await this.writeFully(bytes, at);
      } catch (err) {
        this.error = err;
      }
      this.inFlight -= bytes.length;
      if (recycle && this.spare.length < 2)
        this.spare.push(Buffer.from(bytes.buffer, bytes.byteOffset, this.bufferSize));
    });
    this.tail = done;
    this.pending.push(done);
  }

  /** Writes everything buffered and waits for it. */
  async flush(): Promise<void> {
    this.startFlush();
    await this.tail;
    this.pending.length = 0;
    this.check();
  }

  /** Overwrites bytes at an earlier position (flushes first). */
  async patch(at: number, bytes: Uint8Array): Promise<void> {
    await this.flush();
    await this.writeFully(bytes, at);
  }

  private async writeFully(bytes: Uint8Array, at: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, at + done);
      done += bytesWritten;
    }
  }
}
