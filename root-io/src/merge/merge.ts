import { access } from 'node:fs/promises';
import { CompressPool } from '../compression/pool.js';
import { CorruptFileError, InputError, MergeError, RootIoError } from '../errors.js';
import { addHistogram, isHistogramClass } from '../hist/add.js';
import { type Directory, isDirectoryKey, type RootFile } from '../io/file.js';
import type { Key } from '../io/key.js';
import { StreamerRegistry } from '../io/registry.js';
import type { InputSource } from '../io/source.js';
import type { RObj } from '../io/types.js';
import { isTreeClass } from '../tree/branches.js';
import { RootFileWriter } from '../write/file-writer.js';
import { type OutputTarget, prepareOutput } from '../write/output.js';
import { InputPool } from './inputs.js';
import type { MergeOptions, MergeProgress, MergeResult } from './options.js';
import {
  appendInputTree,
  finishTreeMerge,
  type MergeEngine,
  matchBranches,
  prepareInputTree,
  startTreeMerge,
} from './tree-merge.js';

interface Ctx {
  out: RootFileWriter;
  pool: InputPool;
  usable: number[];
  setting: number | 'keep';
  reg: StreamerRegistry;
  opts: MergeOptions;
  result: MergeResult;
  progress: (p: Omit<MergeProgress, 'inputs' | 'bytesWritten'>) => void;
  engine: MergeEngine;
  /** How many input trees are prepared ahead of the one being written. */
  lookAhead: number;
}

/** One object name in one directory, across inputs: highest-cycle key (and all keys) per input. */
interface Occurrence {
  input: number;
  key: Key;
}

/**
 * Merges ROOT files like `hadd`: trees concatenated (baskets copied without decompression when the
 * compression is unchanged), histograms added, directories merged recursively, other objects copied.
 * Inputs are paths or ByteSources (any random-access byte-range reader); the output is a path (written
 * to a temporary name next to it, renamed at the end) or a Writable (the finished file is piped into it
 * from a temporary file, see prepareOutput).
 */
export async function merge(
  output: OutputTarget,
  inputs: InputSource[],
  opts: MergeOptions = {},
): Promise<MergeResult> {
  if (inputs.length === 0) throw new MergeError('no input files');
  const outName = typeof output === 'string' ? output : (opts.streamName ?? 'merged.root');
  if (!opts.force && typeof output === 'string' && (await exists(output)))
    throw new MergeError(`output ${output} exists (use force / -f to overwrite)`);
  const pool = new InputPool(inputs, opts.maxOpenFiles && opts.maxOpenFiles > 0 ? opts.maxOpenFiles : 128);
  const result: MergeResult = {
    output: outName,
    inputs: inputs.length,
    skipped: [],
    skippedTrees: [],
    trees: [],
    histograms: [],
    copied: [],
    bytes: 0,
  };
  const usable: number[] = [];
  const regs: StreamerRegistry[] = [];
  const lists: RObj[] = [];
  const tops: Directory[] = [];
  let writer: RootFileWriter | undefined;
  const progress = (p: Omit<MergeProgress, 'inputs' | 'bytesWritten'>) =>
    opts.onProgress?.({ ...p, inputs: inputs.length, bytesWritten: writer?.sink.pos ?? 0 });
  try {
    for (let i = 0; i < inputs.length; i++) {
      try {
        const f = await pool.get(i);
        regs[i] = await f.streamers();
        lists[i] = await f.streamerList();
        tops[i] = f.top;
        usable.push(i);
        progress({ phase: 'open', input: i });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        await pool.release(i).catch(() => {});
        const name = pool.paths[i]!;
        if (!opts.skipErrors) throw new InputError(`cannot read input ${name}: ${reason}`, name, err);
        result.skipped.push({ path: name, reason });
        opts.onWarning?.(`skipping input ${name}: ${reason}`);
      }
    }
    if (usable.length === 0) throw new MergeError('no readable input files');
    const first = await pool.get(usable[0]!);
    const setting =
      opts.compression === 'keep'
        ? 'keep'
        : opts.compression === 'first'
          ? first.header.compress
          : (opts.compression ?? 101);
    const fileSetting = setting === 'keep' ? first.header.compress : setting;
    // Streamer infos: union of the inputs', in first-seen order, plus the first input's schema rules.
    const reg = new StreamerRegistry();
    const siList: RObj = { _typename: 'TList', name: '', arr: [], opt: [], fUniqueID: 0, fBits: 0x03000000 };
    for (const i of usable)
      for (const info of regs[i]!.list) if (reg.add(info)) (siList.arr as RObj[]).push(info);
    const rules = (lists[usable[0]!]!.arr as (RObj | null)[]).find((x) => x?._typename === 'TList');
    if (rules) (siList.arr as RObj[]).push(rules);
    (siList.opt as string[]) = (siList.arr as RObj[]).map(() => '');

    const out = await prepareOutput(output, {
      force: true,
      tmpDir: opts.tmpDir,
      streamName: opts.streamName,
      onPipe: (bytes) => opts.onProgress?.({ phase: 'pipe', inputs: inputs.length, bytesWritten: bytes }),
    });
    writer = await RootFileWriter.create(out.tmpPath, {
      compression: fileSetting,
      fileName: out.fileName,
      bigFileThreshold: opts.bigFileThreshold,
      leadingGap: opts.leadingGap,
    });
    const jobs = Math.max(1, opts.jobs ?? 1);
    const engine: MergeEngine = { setting, pool: new CompressPool(jobs), parallel: jobs };
    const lookAhead = 2;
    const ctx: Ctx = { out: writer, pool, usable, setting, reg, opts, result, progress, engine, lookAhead };
    try {
      const dirs = new Map<number, Directory>();
      for (const i of usable) dirs.set(i, tops[i]!);
      await mergeDirectory(ctx, '', dirs);
      progress({ phase: 'finish' });
      await writer.close(siList, reg);
      result.bytes = writer.sink.pos;
    } catch (err) {
      await writer.abort().catch(() => {});
      await out.discard();
      throw err;
    } finally {
      await engine.pool.close();
    }
    await out.commit();
    return result;
  } catch (err) {
    // A stream output is destroyed (never ended) so its consumer cannot take it for a complete file.
    if (typeof output !== 'string' && !output.destroyed) output.destroy();
    throw err;
  } finally {
    await pool.closeAll();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Merges the directory at `path` (one Directory per input that has it). */
async function mergeDirectory(ctx: Ctx, path: string, dirs: Map<number, Directory>): Promise<void> {
  await ctx.out.mkdir(path);
  // Names in first-seen order; per input only the highest cycle of each name (keys lists hold it first).
  const names = new Map<string, Occurrence[]>();
  for (const [input, d] of dirs) {
    const seen = new Set<string>();
    for (const k of d.keys) {
      if (seen.has(k.name)) {
        const occ = names.get(k.name)!.find((o) => o.input === input)!;
        if (k.cycle > occ.key.cycle) occ.key = k;
        continue;
      }
      seen.add(k.name);
      let list = names.get(k.name);
      if (!list) names.set(k.name, (list = []));
      list.push({ input, key: k });
    }
  }
  for (const [name, occ] of names) {
    const objPath = path ? `${path}/${name}` : name;
    const cls = occ[0]!.key.className;
    if (isDirectoryKey(occ[0]!.key)) {
      const sub = new Map<number, Directory>();
      for (const o of occ) {
        const d = dirs.get(o.input)!.subdirs.get(name);
        if (d) sub.set(o.input, d);
      }
      await mergeDirectory(ctx, objPath, sub);
      continue;
    }
    for (const o of occ)
      if (o.key.className !== cls && !(isDirectoryKey(o.key) && isDirectoryKey(occ[0]!.key)))
        throw new MergeError(
          `object ${objPath} is a ${cls} in ${ctx.pool.paths[occ[0]!.input]} but a ${o.key.className} in ${ctx.pool.paths[o.input]}`,
        );
    if (isTreeClass(cls)) {
      if (!ctx.opts.skipTrees) await mergeTrees(ctx, path, objPath, occ);
    } else if (isHistogramClass(cls)) await mergeHistograms(ctx, path, objPath, occ);
    else await copyObjects(ctx, path, objPath, occ);
  }
}

async function mergeTrees(ctx: Ctx, dirPath: string, objPath: string, occ: Occurrence[]): Promise<void> {
  const dirSeek = await ctx.out.mkdir(dirPath);
  const f0 = await ctx.pool.get(occ[0]!.input);
  const m = startTreeMerge(await readOrExplain(f0, occ[0]!.key, objPath), dirPath, dirSeek, f0.path);
  // Bounded look-ahead: the next inputs are opened, parsed, their first baskets read and their embedded
  // baskets compressed while the current input's baskets are written. Prepared inputs must stay open,
  // so the look-ahead never exceeds the open-files limit.
  const limit = ctx.pool.limit;
  const depth = Math.min(ctx.lookAhead, limit > 0 ? Math.max(0, limit - 2) : ctx.lookAhead);
  const prepare = (o: Occurrence) => {
    const p = (async () => {
      const f = await ctx.pool.get(o.input);
      const t = await readOrExplain(f, o.key, objPath);
      return { o, prep: prepareInputTree(f, t, ctx.engine) };
    })();
    p.catch(() => {}); // surfaces when its turn comes
    return p;
  };
  const ahead: ReturnType<typeof prepare>[] = [];
  let next = 0;
  while (next < occ.length || ahead.length > 0) {
    while (next < occ.length && ahead.length <= depth) ahead.push(prepare(occ[next++]!));
    const { o, prep } = await ahead.shift()!;
    while (next < occ.length && ahead.length < depth) ahead.push(prepare(occ[next++]!));
    const map = matchBranches(m, prep.tree, prep.rf.path);
    if (!Array.isArray(map)) {
      // As ROOT's fast merge (TTreeCloner): an input whose branch list differs is skipped, with a warning.
      const reason = `tree ${objPath}: ${map.why}`;
      ctx.result.skippedTrees.push({ path: objPath, input: prep.rf.path, branch: map.missing, reason });
      ctx.opts.onWarning?.(`skipping ${objPath} of ${prep.rf.path}: ${map.why}`);
      continue;
    }
    await appendInputTree(m, ctx.out, prep, ctx.engine, map);
    ctx.progress({ phase: 'tree', object: objPath, input: o.input });
  }
  const tree = finishTreeMerge(m);
  await ctx.out.writeObject(dirPath, tree, ctx.reg, {
    name: occ[0]!.key.name,
    title: occ[0]!.key.title,
    compression: objectSetting(ctx),
  });
  ctx.result.trees.push({ path: objPath, ...m.stats });
}

async function mergeHistograms(ctx: Ctx, dirPath: string, objPath: string, occ: Occurrence[]): Promise<void> {
  let sum: RObj | undefined;
  for (const o of occ) {
    const f = await ctx.pool.get(o.input);
    const h = await readOrExplain(f, o.key, objPath);
    if (!sum) sum = h;
    else addHistogram(sum, h, objPath);
    ctx.progress({ phase: 'histogram', object: objPath, input: o.input });
  }
  await ctx.out.writeObject(dirPath, sum!, ctx.reg, {
    name: occ[0]!.key.name,
    title: occ[0]!.key.title,
    compression: objectSetting(ctx),
  });
  ctx.result.histograms.push(objPath);
}

/** Objects hadd cannot merge are copied from every input (they become successive cycles). */
async function copyObjects(ctx: Ctx, dirPath: string, objPath: string, occ: Occurrence[]): Promise<void> {
  for (const o of occ) {
    const f = await ctx.pool.get(o.input);
    const k = o.key;
    // Object payloads hold tags counted from the key start: keep the key layout so they stay valid.
    if (k.version < 1000 && ctx.out.sink.pos + k.nbytes < 2 ** 31) {
      const stored = await f.storedPayload(k);
      await ctx.out.writeStored(
        dirPath,
        { className: k.className, name: k.name, title: k.title, objlen: k.objlen, version: k.version },
        stored,
      );
    } else {
      const obj = await readOrExplain(f, k, objPath);
      await ctx.out.writeObject(dirPath, obj, await f.streamers(), {
        name: k.name,
        title: k.title,
        compression: objectSetting(ctx),
      });
    }
    ctx.progress({ phase: 'object', object: objPath, input: o.input });
  }
  ctx.result.copied.push(objPath);
}

function objectSetting(ctx: Ctx): number {
  return ctx.setting === 'keep' ? ctx.out.compression : ctx.setting;
}

async function readOrExplain(f: RootFile, key: Key, objPath: string): Promise<RObj> {
  try {
    return await f.readObject(key);
  } catch (err) {
    if (err instanceof RootIoError)
      throw new CorruptFileError(`${f.path}: cannot read ${objPath}: ${err.message}`);
    throw err;
  }
}
