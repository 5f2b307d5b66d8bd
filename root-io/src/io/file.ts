import { createHash } from 'node:crypto';
import { decompress } from '../compression/codec.js';
import { CorruptFileError } from '../errors.js';
import { type Key, readKey } from './key.js';
import { readClass, writeClass } from './objects.js';
import { RBuffer } from './rbuffer.js';
import { StreamerRegistry } from './registry.js';
import { type ByteSource, type InputSource, openSource } from './source.js';
import type { RObj, StreamerInfo } from './types.js';
import { WBuffer } from './wbuffer.js';

/** The fixed part of a ROOT file: the header at byte 0. */
export interface FileHeader {
  version: number;
  begin: number;
  end: number;
  seekFree: number;
  nbytesFree: number;
  nfree: number;
  nbytesName: number;
  units: number;
  compress: number;
  seekInfo: number;
  nbytesInfo: number;
  uuid: Uint8Array;
}

/** A TDirectory (the file itself or a subdirectory) with its keys and subdirectories loaded. */
export interface Directory {
  name: string;
  /** Slash-separated path from the file's top directory ('' for the top). */
  path: string;
  key: Key | undefined;
  version: number;
  datimeC: number;
  datimeM: number;
  nbytesKeys: number;
  nbytesName: number;
  seekDir: number;
  seekParent: number;
  seekKeys: number;
  uuid: Uint8Array;
  keys: Key[];
  subdirs: Map<string, Directory>;
}

const DIR_CLASSES = new Set(['TDirectory', 'TDirectoryFile']);

/** Is this key a subdirectory? */
export function isDirectoryKey(k: Key): boolean {
  return DIR_CLASSES.has(k.className);
}

/** Decoded streamer-info lists by content digest (read-only once built; bounded). */
const SHARED_INFOS = new Map<string, { reg: StreamerRegistry; list: RObj }>();

/** The parsed state of a RootFile (see RootFile.index). */
export interface RootFileIndex {
  path: string;
  size: number;
  header: FileHeader;
  top: Directory;
  infos: StreamerRegistry | undefined;
  infoList: RObj | undefined;
}

/** An open ROOT file: header, directory tree and streamer infos; reads records on demand. */
export class RootFile {
  private infos: StreamerRegistry | undefined;
  private infoList: RObj | undefined;

  private constructor(
    /** The path, or the name of the byte source. */
    readonly path: string,
    readonly source: ByteSource,
    readonly size: number,
    readonly header: FileHeader,
    readonly top: Directory,
  ) {}

  /** Opens and indexes a ROOT file (header, all directories and keys) from a path or a ByteSource. */
  static async open(input: InputSource): Promise<RootFile> {
    const src = await openSource(input);
    const path = src.name;
    try {
      const size = src.size;
      const head = await readAt(src, 0, Math.min(size, 512));
      const header = parseHeader(head, size);
      const top = await readDirectory(src, header.begin, header.nbytesName, '', '', undefined, size);
      return new RootFile(path, src, size, header, top);
    } catch (err) {
      await src.close();
      if (err instanceof CorruptFileError) throw err;
      if (err instanceof RangeError) throw new CorruptFileError(`${path}: ${err.message}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  /** What parsing the file established (header, directories, streamer infos once read), for reopen. */
  index(): RootFileIndex {
    return {
      path: this.path,
      size: this.size,
      header: this.header,
      top: this.top,
      infos: this.infos,
      infoList: this.infoList,
    };
  }

  /** Opens a file again without parsing it again (e.g. after closing it to respect an open-files limit). */
  static async reopen(index: RootFileIndex, input: InputSource): Promise<RootFile> {
    const src = await openSource(input);
    if (src.size !== index.size) {
      await src.close();
      throw new CorruptFileError(`${index.path} changed size while being merged`);
    }
    const f = new RootFile(index.path, src, index.size, index.header, index.top);
    f.infos = index.infos;
    f.infoList = index.infoList;
    return f;
  }

  /** Raw bytes of the file. */
  read(pos: number, len: number): Promise<Buffer> {
    return readAt(this.source, pos, len, this.size);
  }

  /** Decompressed payload of a key. */
  async payload(key: Key): Promise<Buffer> {
    const stored = await this.read(key.seekKey + key.keylen, key.nbytes - key.keylen);
    return decompress(stored, key.objlen);
  }

  /** Stored (possibly compressed) payload of a key, exactly as on disk. */
  storedPayload(key: Key): Promise<Buffer> {
    return this.read(key.seekKey + key.keylen, key.nbytes - key.keylen);
  }

  /** The streamer infos of the file (read once). */
  async streamers(): Promise<StreamerRegistry> {
    if (this.infos) return this.infos;
    const reg = new StreamerRegistry();
    this.infoList = { _typename: 'TList', arr: [] };
    if (this.header.seekInfo > 0 && this.header.nbytesInfo > 0) {
      const kb = await this.read(this.header.seekInfo, Math.min(this.header.nbytesInfo, 4096));
      const key = readKey(new RBuffer(kb));
      const data = await this.payload(key);
      // Files written by the same program usually carry identical lists: share one decoded copy, so
      // merging hundreds of inputs does not hold hundreds of registries.
      const digest = `${key.keylen}:${createHash('sha1').update(data).digest('hex')}`;
      const shared = SHARED_INFOS.get(digest);
      if (shared) {
        this.infoList = shared.list;
        this.infos = shared.reg;
        return shared.reg;
      }
      const list: RObj = { _typename: 'TList' };
      readClass(new RBuffer(data, key.keylen), reg, 'TList', list);
      this.infoList = list;
      for (const item of list.arr as (RObj | null)[])
        if (item?._typename === 'TStreamerInfo') reg.add(item as StreamerInfo);
      if (SHARED_INFOS.size >= 64) SHARED_INFOS.delete(SHARED_INFOS.keys().next().value!);
      SHARED_INFOS.set(digest, { reg, list });
    }
    this.infos = reg;
    return reg;
  }

  /** The raw StreamerInfo TList (infos plus the list of schema rules). */
  async streamerList(): Promise<RObj> {
    await this.streamers();
    return this.infoList!;
  }

  /** Deserializes the object stored under a key. */
  async readObject(key: Key): Promise<RObj> {
    const reg = await this.streamers();
    const data = await this.payload(key);
    return decodeObject(data, key.keylen, key.className, reg);
  }

  /** Finds a directory by slash path ('' = top). */
  dir(path: string): Directory | undefined {
    let d: Directory | undefined = this.top;
    for (const part of path.split('/').filter(Boolean)) d = d?.subdirs.get(part);
    return d;
  }

  /** Key with the highest cycle for a name ('dir/sub/name' paths allowed). */
  key(path: string): Key | undefined {
    const parts = path.split('/');
    const name = parts.pop()!;
    const d = this.dir(parts.join('/'));
    let best: Key | undefined;
    for (const k of d?.keys ?? []) if (k.name === name && (!best || k.cycle > best.cycle)) best = k;
    return best;
  }

  /** Reads the object with the highest cycle under a path. */
  async get(path: string): Promise<RObj> {
    const k = this.key(path);
    if (!k) throw new CorruptFileError(`${this.path}: no object named ${path}`);
    return this.readObject(k);
  }
}

/** Deserializes a top-level object from its uncompressed payload. */
export function decodeObject(
  data: Uint8Array,
  keylen: number,
  className: string,
  reg: StreamerRegistry,
): RObj {
  const obj: RObj = { _typename: className };
  const b = new RBuffer(data, keylen);
  // TKey maps the top-level object at offset 1 (TBufferIO::MapObject default), so self references use tag 1.
  b.objectMap.set(1, obj);
  readClass(b, reg, className, obj);
  return obj;
}

async function readAt(src: ByteSource, pos: number, len: number, size?: number): Promise<Buffer> {
  if (pos < 0 || len < 0 || (size !== undefined && pos + len > size))
    throw new CorruptFileError(`record at ${pos} (+${len}) lies outside the file`);
  const b = await src.read(pos, len);
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function parseHeader(head: Buffer, size: number): FileHeader {
  if (head.length < 60 || head.toString('latin1', 0, 4) !== 'root')
    throw new CorruptFileError('not a ROOT file');
  const b = new RBuffer(head);
  b.skip(4);
  const version = b.i32();
  const big = version >= 1000000;
  const begin = b.i32();
  const end = big ? b.i64() : b.i32();
  const seekFree = big ? b.i64() : b.i32();
  const nbytesFree = b.i32();
  const nfree = b.i32();
  const nbytesName = b.i32();
  const units = b.u8();
  const compress = b.i32();
  const seekInfo = big ? b.i64() : b.i32();
  const nbytesInfo = b.i32();
  b.skip(2);
  const uuid = b.bytesN(16).slice();
  if (begin < 60 || begin > size) throw new CorruptFileError('bad fBEGIN in header');
  if (seekInfo > size) throw new CorruptFileError('streamer info lies outside the file');
  return {
    version,
    begin,
    end,
    seekFree,
    nbytesFree,
    nfree,
    nbytesName,
    units,
    compress,
    seekInfo,
    nbytesInfo,
    uuid,
  };
}

/** Parses a TDirectory header (the part after TNamed in a directory record). */
export function parseDirHeader(b: RBuffer) {
  const version = b.i16();
  const big = version > 1000;
  const datimeC = b.u32();
  const datimeM = b.u32();
  const nbytesKeys = b.i32();
  const nbytesName = b.i32();
  const seekDir = big ? b.i64() : b.i32();
  const seekParent = big ? b.i64() : b.i32();
  const seekKeys = big ? b.i64() : b.i32();
  let uuid = new Uint8Array(16);
  if (b.remaining >= 18) {
    b.skip(2);
    uuid = b.bytesN(16).slice();
  }
  return { version, datimeC, datimeM, nbytesKeys, nbytesName, seekDir, seekParent, seekKeys, uuid };
}

async function readDirectory(
  fh: ByteSource,
  seek: number,
  nbytesName: number,
  name: string,
  path: string,
  key: Key | undefined,
  size: number,
  depth = 0,
): Promise<Directory> {
  if (depth > 64) throw new CorruptFileError('directories nested too deeply');
  // The directory header sits after the key and the TNamed part (fNbytesName bytes from the record start).
  // Enough for the key (names up to a few hundred bytes) and the 64-bit directory header.
  const rec = await readAt(fh, seek, Math.min(size - seek, nbytesName + 1024), size);
  const hb = new RBuffer(rec);
  let headerAt = nbytesName;
  if (key) {
    // Subdirectory records: key header then the directory header.
    const k = readKey(hb);
    headerAt = k.keylen;
  }
  hb.pos = headerAt;
  const h = parseDirHeader(hb);
  const dir: Directory = { name, path, key, ...h, keys: [], subdirs: new Map() };
  if (h.seekKeys > 0) {
    const kb = await readAt(fh, h.seekKeys, h.nbytesKeys, size);
    const b = new RBuffer(kb);
    readKey(b); // the keys list's own header
    const n = b.i32();
    if (n < 0 || n > kb.length) throw new CorruptFileError('bad key count in keys list');
    for (let i = 0; i < n; i++) dir.keys.push(readKey(b));
  }
  for (const k of dir.keys) {
    if (!isDirectoryKey(k) || dir.subdirs.has(k.name)) continue;
    const sub = await readDirectory(
      fh,
      k.seekKey,
      0,
      k.name,
      path ? `${path}/${k.name}` : k.name,
      k,
      size,
      depth + 1,
    );
    dir.subdirs.set(k.name, sub);
  }
  return dir;
}

/** Serializes a top-level object as the payload of a key with this key length. */
export function encodeObject(obj: RObj, keylen: number, reg: StreamerRegistry): Buffer {
  const w = new WBuffer(keylen, 4096);
  w.objectMap.set(obj, 1);
  writeClass(w, reg, obj._typename, obj);
  return w.result();
}
