export * from './errors.js';
export { RootFile, type Directory, type FileHeader, isDirectoryKey } from './io/file.js';
export type { Key } from './io/key.js';
export type { RObj, StreamerInfo } from './io/types.js';
export { merge } from './merge/merge.js';
export type { MergeOptions, MergeProgress, MergeResult } from './merge/options.js';
export {
  iterateColumn,
  readColumn,
  columnLayout,
  type ColumnChunk,
  type ColumnLayout,
  type NumericArray,
} from './tree/columns.js';
export { allBranches } from './tree/branches.js';
export { addHistogram, isHistogramClass } from './hist/add.js';
export { RootFileWriter } from './write/file-writer.js';
export { compress, decompress } from './compression/codec.js';
export { parseSetting } from './compression/settings.js';
