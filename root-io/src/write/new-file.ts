import { WriteError } from '../errors.js';
import type { Histogram } from '../hist/build.js';
import type { RObj } from '../io/types.js';
import { RootFileWriter } from './file-writer.js';
import { type OutputOptions, type OutputTarget, prepareOutput } from './output.js';
import { builtinStreamers, streamerListFor } from './streamers.js';
import { type BranchSpec, type TreeOptions, TreeWriter } from './tree-writer.js';

/** Options of createRootFile. */
export interface CreateOptions extends OutputOptions {
  /** ROOT compression setting, algorithm*100+level: 101 zlib-1 (default), 404 LZ4, 505 ZSTD, 207 LZMA, 0 none. */
  compression?: number;
  title?: string;
  /** See FileWriterOptions.bigFileThreshold. */
  bigFileThreshold?: number;
}

/** A ROOT file being written from scratch. */
export interface NewRootFile {
  /** Creates a directory (and its parents); slash-separated path. */
  mkdir(path: string): Promise<void>;
  /** Starts a tree at `path` ('name' or 'dir/sub/name'); it is written when the file is closed (or by finish). */
  createTree(path: string, branches: BranchSpec[], opts?: TreeOptions): Promise<TreeWriter>;
  /** Writes a histogram (from createTH1/createTH2) or another object of a class with builtin infos. */
  writeObject(path: string, obj: RObj): Promise<void>;
  /** Finishes open trees, writes streamer infos, directories and header; commits the output. */
  close(): Promise<void>;
  /** Abandons the file: nothing is left at the target. */
  abort(): Promise<void>;
}

function splitPath(path: string): { dir: string; name: string } {
  const parts = path.split('/').filter(Boolean);
  const name = parts.pop();
  if (!name) throw new WriteError(`bad object path '${path}'`);
  return { dir: parts.join('/'), name };
}

/**
 * Creates a new ROOT file (RECREATE semantics for paths unless `force: false`). Write trees with
 * createTree + fill/extend, histograms with writeObject, then close(). For a stream target the file is
 * built in a temporary file and piped into the stream at close (see prepareOutput).
 */
export async function createRootFile(target: OutputTarget, opts: CreateOptions = {}): Promise<NewRootFile> {
  const out = await prepareOutput(target, { ...opts, force: opts.force ?? true });
  const writer = await RootFileWriter.create(out.tmpPath, {
    compression: opts.compression ?? 101,
    title: opts.title,
    fileName: out.fileName,
    bigFileThreshold: opts.bigFileThreshold,
  });
  const classes = new Set<string>();
  const trees: TreeWriter[] = [];
  let done = false;
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      if (done) throw new WriteError('the file is already closed');
      try {
        return await fn(...a);
      } catch (err) {
        // Any failure abandons the file so no partial output is committed.
        if (!done) await abort();
        throw err;
      }
    };
  const abort = async () => {
    if (done) return;
    done = true;
    await writer.abort().catch(() => {});
    await out.discard();
  };
  return {
    mkdir: guard(async (path: string) => {
      await writer.mkdir(path.split('/').filter(Boolean).join('/'));
    }),
    createTree: guard(async (path: string, branches: BranchSpec[], topts: TreeOptions = {}) => {
      const { dir, name } = splitPath(path);
      await writer.mkdir(dir);
      const t = new TreeWriter(writer, dir, name, branches, topts);
      for (const c of t.classes()) classes.add(c);
      trees.push(t);
      return t;
    }),
    writeObject: guard(async (path: string, obj: RObj) => {
      const { dir, name } = splitPath(path);
      const reg = builtinStreamers();
      if (!reg.find(obj._typename)) throw new WriteError(`no streamer info to write a ${obj._typename}`);
      classes.add(obj._typename);
      await writer.writeObject(dir, obj, reg, { name, title: String(obj.fTitle ?? '') });
    }),
    close: guard(async () => {
      for (const t of trees) await t.finish();
      const { list, reg } = streamerListFor(classes);
      await writer.close(list, reg);
      done = true;
      try {
        await out.commit();
      } catch (err) {
        await out.discard().catch(() => {});
        throw err;
      }
    }),
    abort,
  };
}

/**
 * Writes histograms (created with createTH1/createTH2) into a new file; names may contain directories
 * ('dir/h'). The usual way for analysis jobs to save their outputs.
 */
export async function writeHistograms(
  target: OutputTarget,
  histograms: Record<string, Histogram>,
  opts: CreateOptions = {},
): Promise<void> {
  const f = await createRootFile(target, opts);
  for (const [path, h] of Object.entries(histograms))
    await f.writeObject(path, { ...h, fName: splitPath(path).name });
  await f.close();
}
