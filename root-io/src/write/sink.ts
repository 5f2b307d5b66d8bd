import type { FileHandle } from 'node:fs/promises';

/** Sequential writer with a large buffer, plus positioned patches of earlier bytes. */
export class Sink {
  private buf: Buffer;
  private used = 0;
  /** Position in the file of the next appended byte. */
  pos: number;

  constructor(
    private readonly fh: FileHandle,
    start: number,
    private readonly bufferSize = 8 << 20,
  ) {
    this.pos = start;
    this.buf = Buffer.allocUnsafe(bufferSize);
  }

  /** Appends bytes; returns the position where they start. */
  async append(...parts: Uint8Array[]): Promise<number> {
    const at = this.pos;
    for (const p of parts) {
      if (p.length >= this.bufferSize) {
        await this.flush();
        await this.writeFully(p, this.pos);
      } else {
        if (this.used + p.length > this.bufferSize) await this.flush();
        this.buf.set(p, this.used);
        this.used += p.length;
      }
      this.pos += p.length;
    }
    return at;
  }

  /** Reserves zeroed space (to patch later); returns its position. */
  reserve(n: number): Promise<number> {
    return this.append(Buffer.alloc(n));
  }

  /** Writes buffered bytes to the file. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeFully(this.buf.subarray(0, this.used), this.pos - this.used);
    this.used = 0;
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
