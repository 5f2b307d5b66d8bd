export * from './errors.js';
export { RootFile, type Directory, type FileHeader, isDirectoryKey } from './io/file.js';
export type { Key } from './io/key.js';
export type { RObj, StreamerInfo } from './io/types.js';
