import { randomBytes } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { compress } from '../compression/codec.js';
import { encodeObject } from '../io/file.js';
import { datimeNow, encodeKey, type Key, keyLength } from '../io/key.js';
import type { StreamerRegistry } from '../io/registry.js';
import type { RObj } from '../io/types.js';
import { WBuffer } from '../io/wbuffer.js';
import { Sink } from './sink.js';

const BEGIN = 100;
/** ROOT switches to the 64-bit header layout beyond this offset (kStartBigFile). */
export const START_BIG_FILE = 2000000000;

/** Options of RootFileWriter.create. */
export interface FileWriterOptions {
  /** Compression setting (algorithm*100+level) recorded in the header and used by default. Default 101. */
  compression?: number;
  title?: string;
  /** Name recorded in the TFile record (default: the path's base name). */
  fileName?: string;
  /** The header switches to the 64-bit layout when fEND passes this offset (ROOT: 2000000000). */
  bigFileThreshold?: number;
  /**
   * Bytes left unwritten (a sparse hole, declared as a free segment) after the top directory, so every
   * later record lies beyond that offset. For tests of large-file offsets without writing gigabytes.
   */
  leadingGap?: number;
}
/** Directory header written in its 64-bit form: version 1005. */
const DIR_HEADER_LEN = 60;
/** File format version written in the header (ROOT 6.22/08 layout). */
const FILE_VERSION = 62208;

interface DirState {
  path: string;
  name: string;
  title: string;
  seekKey: number;
  parent: DirState | undefined;
  keys: Key[];
  cycles: Map<string, number>;
  datime: number;
  uuid: Buffer;
  /** Header of this directory's own record (subdirectories only). */
  key?: Key;
}

/** Writes a ROOT file sequentially: records are appended, directories and the header are written at close. */
export class RootFileWriter {
  private readonly dirs = new Map<string, DirState>();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly sink: Sink,
    readonly compression: number,
    private readonly fileName: string,
    private readonly title: string,
    private readonly topRecordLen: number,
    private readonly bigFileThreshold: number,
    private readonly gap: { first: number; last: number } | undefined,
  ) {}

  /** Creates (truncates) a file and reserves the header and the top directory record. */
  static async create(path: string, opts: FileWriterOptions = {}) {
    const fh = await open(path, 'w');
    const fileName = opts.fileName ?? basename(path);
    const title = opts.title ?? '';
    const keylen = keyLength('TFile', fileName, title);
    const topLen = keylen + tlen(fileName) + tlen(title) + DIR_HEADER_LEN;
    const sink = new Sink(fh, 0);
    await sink.reserve(BEGIN + topLen);
    let gap: { first: number; last: number } | undefined;
    if (opts.leadingGap && opts.leadingGap > 0) {
      gap = { first: sink.pos, last: sink.pos + opts.leadingGap - 1 };
      await sink.skip(opts.leadingGap);
    }
    const w = new RootFileWriter(
      path,
      fh,
      sink,
      opts.compression ?? 101,
      fileName,
      title,
      topLen,
      Math.min(opts.bigFileThreshold ?? START_BIG_FILE, START_BIG_FILE),
      gap,
    );
    w.dirs.set('', {
      path: '',
      name: fileName,
      title,
      seekKey: BEGIN,
      parent: undefined,
      keys: [],
      cycles: new Map(),
      datime: datimeNow(),
      uuid: randomBytes(16),
    });
    return w;
  }

  /** Position of a directory's record (fSeekDir), creating the directory and its parents if needed. */
  async mkdir(path: string): Promise<number> {
    return (await this.dir(path)).seekKey;
  }

  private async dir(path: string): Promise<DirState> {
    const found = this.dirs.get(path);
    if (found) return found;
    const parts = path.split('/');
    const name = parts.pop()!;
    const parent = await this.dir(parts.join('/'));
    const keylen = keyLength('TDirectory', name, name);
    const seekKey = await this.sink.reserve(keylen + DIR_HEADER_LEN);
    const key: Key = {
      nbytes: keylen + DIR_HEADER_LEN,
      version: 1004,
      objlen: DIR_HEADER_LEN,
      datime: datimeNow(),
      keylen,
      cycle: 1,
      seekKey,
      seekPdir: parent.seekKey,
      className: 'TDirectory',
      name,
      title: name,
    };
    const d: DirState = {
      path,
      name,
      title: name,
      seekKey,
      parent,
      keys: [],
      cycles: new Map(),
      datime: key.datime,
      uuid: randomBytes(16),
      key,
    };
    this.dirs.set(path, d);
    parent.keys.push(key);
    parent.cycles.set(name, 1);
    return d;
  }

  /** Next free cycle number of a name in a directory. */
  async nextCycle(dirPath: string, name: string): Promise<number> {
    const d = await this.dir(dirPath);
    return (d.cycles.get(name) ?? 0) + 1;
  }

  /**
   * Appends a record with an already stored (possibly compressed) payload. Listed in the directory's keys
   * unless `listed` is false (baskets). Returns the key written.
   */
  async writeStored(
    dirPath: string,
    head: {
      className: string;
      name: string;
      title: string;
      cycle?: number;
      objlen: number;
      version?: number;
    },
    stored: Uint8Array,
    extraHeader?: (key: Key) => Uint8Array,
    listed = true,
  ): Promise<Key> {
    const d = await this.dir(dirPath);
    const version = head.version ?? 1004;
    const ext = extraHeader ? extraHeader({} as Key).length : 0;
    const keylen = keyLength(head.className, head.name, head.title, version > 1000) + ext;
    const cycle = head.cycle ?? (listed ? (d.cycles.get(head.name) ?? 0) + 1 : 1);
    const key: Key = {
      nbytes: keylen + stored.length,
      version,
      objlen: head.objlen,
      datime: datimeNow(),
      keylen,
      cycle,
      seekKey: this.sink.pos,
      seekPdir: d.seekKey,
      className: head.className,
      name: head.name,
      title: head.title,
    };
    const parts: Uint8Array[] = [encodeKey(key)];
    if (extraHeader) parts.push(extraHeader(key));
    parts.push(stored);
    await this.sink.append(...parts);
    if (listed) {
      d.keys.push(key);
      d.cycles.set(head.name, Math.max(cycle, d.cycles.get(head.name) ?? 0));
    }
    return key;
  }

  /** Serializes, compresses and appends an object; returns its key. */
  async writeObject(
    dirPath: string,
    obj: RObj,
    reg: StreamerRegistry,
    opts: { name?: string; title?: string; cycle?: number; compression?: number } = {},
  ): Promise<Key> {
    const name = opts.name ?? String(obj.fName ?? '');
    const title = opts.title ?? String(obj.fTitle ?? '');
    const keylen = keyLength(obj._typename, name, title);
    const plain = encodeObject(obj, keylen, reg);
    const stored = await compress(plain, opts.compression ?? this.compression);
    return this.writeStored(
      dirPath,
      { className: obj._typename, name, title, cycle: opts.cycle, objlen: plain.length },
      stored,
    );
  }

  /** Writes streamer infos, keys lists, directory records, free segments and the header; closes the file. */
  async close(streamerList: RObj, reg: StreamerRegistry): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const top = this.dirs.get('')!;
      // Streamer infos (always compressed, as ROOT does).
      const siKeylen = keyLength('TList', 'StreamerInfo', 'Doubly linked list');
      const siPlain = encodeObject(streamerList, siKeylen, reg);
      const siStored = await compress(siPlain, this.compression % 100 === 0 ? 101 : this.compression);
      const siKey = await this.writeStored(
        '',
        {
          className: 'TList',
          name: 'StreamerInfo',
          title: 'Doubly linked list',
          objlen: siPlain.length,
          cycle: 1,
        },
        siStored,
        undefined,
        false,
      );
      // Keys lists, deepest directories first is not required: every record is reached through seeks.
      const keysInfo = new Map<string, { seek: number; nbytes: number }>();
      for (const d of this.dirs.values()) {
        const w = new WBuffer(0, 256);
        const sorted = sortKeys(d.keys);
        w.i32(sorted.length);
        for (const k of sorted) w.bytes(encodeKey(k));
        const body = w.result();
        const cls = d.parent ? 'TDirectory' : 'TFile';
        const k = await this.writeStored(
          d.path,
          { className: cls, name: d.name, title: d.title, objlen: body.length, cycle: 1 },
          Buffer.from(body),
          undefined,
          false,
        );
        keysInfo.set(d.path, { seek: k.seekKey, nbytes: k.nbytes });
      }
      // Free segments record; fEND follows it.
      const freeKeylen = keyLength('TFile', this.fileName, this.title);
      const seekFree = this.sink.pos;
      const segments = this.gap ? 2 : 1;
      const nbytesFree = freeKeylen + 18 * segments;
      const end = seekFree + nbytesFree;
      const fw = new WBuffer(0, 64);
      if (this.gap) {
        fw.i16(1001);
        fw.i64(this.gap.first);
        fw.i64(this.gap.last);
      }
      fw.i16(1001);
      fw.i64(end);
      fw.i64(Math.max(START_BIG_FILE, end) + 1e9);
      await this.writeStored(
        '',
        { className: 'TFile', name: this.fileName, title: this.title, objlen: 18 * segments, cycle: 1 },
        Buffer.from(fw.result()),
        undefined,
        false,
      );
      // Directory records.
      for (const d of this.dirs.values()) {
        const ki = keysInfo.get(d.path)!;
        if (!d.parent) continue;
        const rec = new WBuffer(0, 128);
        rec.bytes(encodeKey(d.key!));
        writeDirHeader(rec, d, ki, d.key!.keylen, d.parent.seekKey);
        await this.sink.patch(d.seekKey, rec.result());
      }
      const topKeylen = keyLength('TFile', this.fileName, this.title);
      const nbytesName = topKeylen + tlen(this.fileName) + tlen(this.title);
      const topKey: Key = {
        nbytes: this.topRecordLen,
        version: 1004,
        objlen: this.topRecordLen - topKeylen,
        datime: top.datime,
        keylen: topKeylen,
        cycle: 1,
        seekKey: BEGIN,
        seekPdir: 0,
        className: 'TFile',
        name: this.fileName,
        title: this.title,
      };
      const rec = new WBuffer(0, 256);
      rec.bytes(encodeKey(topKey));
      rec.tstring(this.fileName);
      rec.tstring(this.title);
      writeDirHeader(rec, top, keysInfo.get('')!, nbytesName, 0);
      await this.sink.patch(BEGIN, rec.result());
      // File header.
      const big = end > this.bigFileThreshold;
      const h = new WBuffer(0, 128);
      h.bytes(Buffer.from('root', 'latin1'));
      h.i32(big ? FILE_VERSION + 1000000 : FILE_VERSION);
      h.i32(BEGIN);
      const seek = (v: number) => (big ? h.i64(v) : h.i32(v));
      seek(end);
      seek(seekFree);
      h.i32(nbytesFree);
      h.i32(segments);
      h.i32(nbytesName);
      h.u8(big ? 8 : 4);
      h.i32(this.compression);
      seek(siKey.seekKey);
      h.i32(siKey.nbytes);
      h.u16(1);
      h.bytes(top.uuid);
      await this.sink.patch(0, h.result());
      await this.sink.flush();
    } finally {
      await this.fh.close();
    }
  }

  /** Closes the file handle without finishing the file (after an error). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

function tlen(s: string): number {
  const n = Buffer.byteLength(s, 'latin1');
  return n < 255 ? n + 1 : n + 5;
}

/** Keys lists hold the highest cycle of a name first. */
function sortKeys(keys: Key[]): Key[] {
  const order = new Map<string, number>();
  keys.forEach((k, i) => {
    if (!order.has(k.name)) order.set(k.name, i);
  });
  return [...keys].sort((a, b) => order.get(a.name)! - order.get(b.name)! || b.cycle - a.cycle);
}

function writeDirHeader(
  w: WBuffer,
  d: DirState,
  keys: { seek: number; nbytes: number },
  nbytesName: number,
  seekParent: number,
): void {
  w.i16(1005);
  w.u32(d.datime);
  w.u32(datimeNow());
  w.i32(keys.nbytes);
  w.i32(nbytesName);
  w.i64(d.seekKey);
  w.i64(seekParent);
  w.i64(keys.seek);
  w.u16(1);
  w.bytes(d.uuid);
}
