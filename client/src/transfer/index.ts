/** Upload and download of files through the RSE adapters, registered in (and listed from) the catalog. */
export { storageCredentialsFromEnv } from './credentials.js';
export * from './download.js';
export { TransferInputError, TransferSetupError } from './errors.js';
export { collectLocalFiles, type LocalFile } from './local-files.js';
export type { ProgressListener, TransferEvent } from './progress.js';
export * from './upload.js';
