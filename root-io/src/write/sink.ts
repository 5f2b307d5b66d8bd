import type { FileHandle } from 'node:fs/promises';

/** Parts at least this large bypass the buffer (after what is buffered before them). */
const DIRECT = 1 << 20;

/**
 * Sequential writer with double buffering: one buffer fills while the other is being written, so the
 * caller's reads and compression overlap with disk writes. Earlier bytes can be patched by position.
 */
export class Sink {
  private buf: Buffer;
  private spare: Buffer;
  private used = 0;
  private pending: Promise<void> = Promise.resolve();
  /** Position in the file of the next appended byte. */
  pos: number;

  constructor(
    private readonly fh: FileHandle,
    start: number,
    private readonly bufferSize = 4 << 20,
  ) {
    this.pos = start;
    this.buf = Buffer.allocUnsafe(bufferSize);
    this.spare = Buffer.allocUnsafe(bufferSize);
  }

  /** Appends bytes; returns the position where they start. */
  async append(...parts: Uint8Array[]): Promise<number> {
    const at = this.pos;
    for (const p of parts) {
      if (p.length >= DIRECT) {
        await this.startFlush();
        const where = this.pos;
        await this.pending;
        // The caller may reuse `p` once append resolves, so this write is awaited.
        await this.writeFully(p, where);
      } else {
        if (this.used + p.length > this.bufferSize) await this.startFlush();
        this.buf.set(p, this.used);
        this.used += p.length;
      }
      this.pos += p.length;
    }
    return at;
  }

  /** Leaves a hole of n bytes (never written: sparse on file systems that support it). */
  async skip(n: number): Promise<void> {
    await this.startFlush();
    this.pos += n;
  }

  /** Reserves zeroed space (to patch later); returns its position. */
  reserve(n: number): Promise<number> {
    return this.append(Buffer.alloc(n));
  }

  /** Hands the filled buffer to a background write (waiting for the previous one first). */
  private async startFlush(): Promise<void> {
    if (this.used === 0) return;
    await this.pending;
    const full = this.buf.subarray(0, this.used);
    const where = this.pos - this.used;
    [this.buf, this.spare] = [this.spare, this.buf];
    this.used = 0;
    this.pending = this.writeFully(full, where);
  }

  /** Writes everything buffered and waits for it. */
  async flush(): Promise<void> {
    await this.startFlush();
    await this.pending;
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
