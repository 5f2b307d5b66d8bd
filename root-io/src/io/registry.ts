import type { StreamerInfo } from './types.js';

/** Streamer infos indexed by class name/version and by checksum. */
export class StreamerRegistry {
  private readonly byName = new Map<string, Map<number, StreamerInfo>>();
  private readonly byChecksum = new Map<number, StreamerInfo>();
  /** Infos in insertion order (what gets written to an output file). */
  readonly list: StreamerInfo[] = [];

  /** Adds an info unless one with the same class and version is known; returns true when added. */
  add(info: StreamerInfo): boolean {
    let versions = this.byName.get(info.fName);
    if (!versions) this.byName.set(info.fName, (versions = new Map()));
    if (versions.has(info.fClassVersion)) return false;
    versions.set(info.fClassVersion, info);
    this.byChecksum.set(info.fCheckSum >>> 0, info);
    this.list.push(info);
    return true;
  }

  /** Info for a class at a version (any version when the exact one is missing and `loose`). */
  find(name: string, version?: number, loose = true): StreamerInfo | undefined {
    const versions = this.byName.get(name);
    if (!versions) return undefined;
    if (version !== undefined) {
      const exact = versions.get(version);
      if (exact || !loose) return exact;
    }
    let best: StreamerInfo | undefined;
    for (const info of versions.values()) if (!best || info.fClassVersion > best.fClassVersion) best = info;
    return best;
  }

  /** Info whose checksum matches (used after a version 0). */
  findChecksum(checksum: number): StreamerInfo | undefined {
    return this.byChecksum.get(checksum >>> 0);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }
}
