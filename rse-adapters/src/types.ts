import type { Readable } from 'node:stream';
import type { StorageError } from './errors.js';

/** Operations an RSE protocol declares a priority for (Rucio's names). */
export type Operation = 'read' | 'write' | 'delete' | 'third_party_copy_read' | 'third_party_copy_write';

/** Network domains of an RSE protocol (Rucio's names). */
export type Domain = 'lan' | 'wan';

/**
 * Per-operation priorities within a domain. Lower positive numbers win; 0, null or a missing
 * entry means the protocol does not support the operation. `third_party_copy` is the pre-1.30
 * Rucio name that covered both TPC directions.
 */
export interface DomainPriorities {
  read?: number | null;
  write?: number | null;
  delete?: number | null;
  third_party_copy?: number | null;
  third_party_copy_read?: number | null;
  third_party_copy_write?: number | null;
}

/** One protocol of an RSE, in the shape Rucio stores and returns it. */
export interface RseProtocol {
  scheme: string;
  hostname: string;
  port: number | null;
  prefix: string;
  impl: string;
  domains: { lan?: DomainPriorities; wan?: DomainPriorities };
  extended_attributes?: Record<string, unknown> | null;
}

/**
 * Credentials an adapter may use. File paths, as the grid tools take them
 * (X509_USER_CERT / X509_USER_KEY / X509_USER_PROXY / X509_CERT_DIR).
 */
export interface Credentials {
  /** PEM client certificate (or proxy, which holds the key too). */
  x509Cert?: string;
  /** PEM private key; defaults to x509Cert (a proxy file holds both). */
  x509Key?: string;
  /** Hashed CA directory (X509_CERT_DIR) used to verify servers. */
  caDir?: string;
  /** Single PEM CA bundle used to verify servers (added to caDir's certificates). */
  caFile?: string;
  /** WLCG bearer token (sent as `Authorization: Bearer …` / XRootD ztn). */
  bearerToken?: string;
  /** S3 key pair; region defaults to extended_attributes.region or us-east-1. */
  s3?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; region?: string };
}

/** Tuning shared by every adapter. */
export interface AdapterOptions {
  credentials?: Credentials;
  /** Time allowed to connect and for each request/command to answer (ms). Default 30 000. */
  timeoutMs?: number;
  /** Maximum parallel requests/processes this adapter starts. Default 4. */
  concurrency?: number;
}

/** What stat() reports. Checksums only when the storage gives them without reading the data. */
export interface StatResult {
  size: number;
  isDir: boolean;
  mtime?: Date;
  adler32?: string;
  md5?: string;
}

/** One entry of list(). `path` is relative to the RSE prefix, like the argument of every operation. */
export interface ListEntry {
  name: string;
  path: string;
  isDir: boolean;
  size?: number;
  mtime?: Date;
}

/** Options every operation accepts. */
export interface OpOptions {
  signal?: AbortSignal;
}

/** Byte range for read(): `length` bytes from `offset` (to the end when length is omitted). */
export interface ReadOptions extends OpOptions {
  offset?: number;
  length?: number;
}

/** What the writer promises about the bytes; the adapter verifies both before the file is visible/kept. */
export interface WriteOptions extends OpOptions {
  size: number;
  /** Expected adler32, 8 lowercase hex digits. Strongly recommended: without it only the size is verified. */
  adler32?: string;
  /** Expected md5 (hex); implies computeMd5. */
  md5?: string;
  /** Compute md5 while streaming (returned in WriteResult) even without an expected value. */
  computeMd5?: boolean;
  /** Replace an existing file (default true: a stale orphan from a crashed upload must not block a retry). */
  overwrite?: boolean;
}

/** How the bytes on storage were checked after a write or copy. */
export type Verification = 'server-checksum' | 'stream-checksum+size';

/** Result of write() and thirdPartyCopy(). */
export interface WriteResult {
  pfn: string;
  size: number;
  adler32: string;
  md5?: string;
  verifiedBy: Verification;
}

/** Algorithms checksum() can return. */
export type ChecksumAlgorithm = 'adler32' | 'md5';

/** Where a checksum came from: computed by the server, stored as metadata at upload, or computed here by reading. */
export type ChecksumSource = 'server' | 'metadata' | 'computed';

/** Result of checksum(). */
export interface ChecksumResult {
  algorithm: ChecksumAlgorithm;
  value: string;
  source: ChecksumSource;
}

/** Options for thirdPartyCopy(). */
export interface TpcOptions extends OpOptions {
  /** Expected size and adler32 of the source; verified at the destination when given. */
  size?: number;
  adler32?: string;
  /** HTTP-TPC direction: 'pull' asks the destination (default), 'push' asks the source. */
  mode?: 'pull' | 'push';
  overwrite?: boolean;
}

/** One local file to upload to `path` (relative to the RSE prefix). */
export interface PutItem {
  localPath: string;
  path: string;
  size: number;
  adler32?: string;
  md5?: string;
}

/** One file to download from `path` to `localPath`; checked against size/adler32 when given. */
export interface GetItem {
  path: string;
  localPath: string;
  size?: number;
  adler32?: string;
}

/** Outcome of one item of a batch: batches never throw for a single file's failure. */
export type BatchResult<T> = { ok: true; value: T } | { ok: false; error: StorageError };

/** Options of putFiles(). */
export interface PutFilesOptions extends OpOptions {
  overwrite?: boolean;
  computeMd5?: boolean;
  /** Files uploaded at once (default 4). */
  concurrency?: number;
}

/** Options of getFiles(). */
export interface GetFilesOptions extends OpOptions {
  computeMd5?: boolean;
  concurrency?: number;
}

/** What getFiles() reports for a downloaded file. */
export interface GetResult {
  localPath: string;
  size: number;
  adler32: string;
  md5?: string;
}

/** Adapter families; implFor() maps Rucio impl names and schemes to one of these. */
export type AdapterKind = 'posix' | 'webdav' | 's3' | 'root';

/**
 * One storage endpoint reached through one protocol. Every `path` argument is relative to the
 * protocol's prefix (the catalog's path, e.g. `user/jdoe/ab/cd/file.root`); a full PFN of this
 * protocol is accepted too and checked to lie under the prefix. Nothing ever escapes the prefix.
 */
export interface StorageAdapter {
  readonly kind: AdapterKind;
  readonly protocol: RseProtocol;
  /** PFN of a relative path, exactly as Rucio's lfns2pfns builds it. */
  pfn(path: string): string;
  /** Size/type/mtime (and checksums the server gives for free). Throws NOT_FOUND. */
  stat(path: string, opts?: OpOptions): Promise<StatResult>;
  /** True when a file or directory exists at path. */
  exists(path: string, opts?: OpOptions): Promise<boolean>;
  /** Stream of the file's bytes, or of a byte range. */
  read(path: string, opts?: ReadOptions): Promise<Readable>;
  /** Stores a stream; verifies size and checksum; on any failure nothing is left at path. */
  write(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult>;
  /** Removes a file (NOT_FOUND if absent). */
  delete(path: string, opts?: OpOptions): Promise<void>;
  /** Entries directly below a directory (S3: below a key prefix). */
  list(path: string, opts?: OpOptions): Promise<ListEntry[]>;
  /** Creates a directory and its parents (no-op where directories are implicit). */
  mkdir(path: string, opts?: OpOptions): Promise<void>;
  /** Checksum as the storage reports it; computed by reading the file when the storage cannot. */
  checksum(path: string, algorithm?: ChecksumAlgorithm, opts?: OpOptions): Promise<ChecksumResult>;
  /** True when thirdPartyCopy() can pull from (or push to) this source PFN. */
  canThirdPartyCopy(sourcePfn: string): boolean;
  /** Uploads many local files (root:// batches them into few xrdcp runs); per-file results, never throws per file. */
  putFiles(items: PutItem[], opts?: PutFilesOptions): Promise<BatchResult<WriteResult>[]>;
  /** Downloads many files to local paths (temp + verify + rename); per-file results. */
  getFiles(items: GetItem[], opts?: GetFilesOptions): Promise<BatchResult<GetResult>[]>;
  /**
   * Deletes the temporary files (objects, incomplete uploads) that writers of `path` left next to it
   * when they were killed mid-write, and returns how many. Only call it when no writer of `path` is
   * alive (the transfer daemon holds the request's claim). Never touches `path` itself or another
   * name's temporaries; a missing directory gives 0.
   */
  removeOrphanTemps(path: string, opts?: OpOptions): Promise<number>;
  /** Server-to-server copy of sourcePfn into path on this endpoint; verified like write(). */
  thirdPartyCopy(sourcePfn: string, path: string, opts?: TpcOptions): Promise<WriteResult>;
  /** Releases connections, sessions and child processes. */
  close(): Promise<void>;
}
