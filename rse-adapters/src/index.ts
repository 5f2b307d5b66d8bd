export * from './checksum.js';
export * from './errors.js';
export {
  buildPfn,
  cleanRelativePath,
  collapseSlashes,
  isPfn,
  normalizePrefix,
  pathFromPfn,
  toRelativePath,
} from './pfn.js';
export { createPosixAdapter, type PosixOptions } from './posix/adapter.js';
export { type AnyAdapterOptions, createAdapter, implFor } from './registry.js';
export { createRootAdapter, type RootOptions } from './root/adapter.js';
export { createS3Adapter, type S3Adapter, type S3Options } from './s3/adapter.js';
export { type AwsCredentials, presignUrl, signS3Request } from './s3/sigv4.js';
export { orderProtocols, type ProtocolFilter, priorityOf, selectProtocol } from './select.js';
export * from './types.js';
export { TEMP_MARK } from './verify.js';
export { createWebdavAdapter, httpScheme, toHttpUrl } from './webdav/adapter.js';
