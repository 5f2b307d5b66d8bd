export { compress, decompress } from './compression/codec.js';
export { parseSetting } from './compression/settings.js';
export * from './errors.js';
export { type HaddIo, parseHaddArgs, runHadd } from './hadd-cli.js';
export { addHistogram, isHistogramClass } from './hist/add.js';
export {
  type AxisSpec,
  createTH1,
  createTH2,
  fillTH1,
  fillTH2,
  type Histogram,
  type HistStorage,
  setBinContents,
} from './hist/build.js';
export { type Directory, type FileHeader, isDirectoryKey, RootFile } from './io/file.js';
export type { Key } from './io/key.js';
export {
  type ByteSource,
  bufferSource,
  fileSource,
  type InputSource,
  rangeSource,
  streamSource,
} from './io/source.js';
export type { RObj, StreamerInfo } from './io/types.js';
export { merge } from './merge/merge.js';
export type { MergeOptions, MergeProgress, MergeResult } from './merge/options.js';
export { allBranches } from './tree/branches.js';
export {
  type ColumnChunk,
  type ColumnLayout,
  columnLayout,
  iterateColumn,
  type NumericArray,
  readColumn,
} from './tree/columns.js';
export { RootFileWriter } from './write/file-writer.js';
export { type CreateOptions, createRootFile, type NewRootFile, writeHistograms } from './write/new-file.js';
export type { OutputOptions, OutputTarget } from './write/output.js';
export type {
  BranchSpec,
  Columns,
  EntryValue,
  LeafType,
  TreeOptions,
  TreeWriter,
  VectorElement,
} from './write/tree-writer.js';
