// Run as an unprivileged user by posix.test.ts: tries a write the file system must refuse and
// prints the StorageError it got as JSON (root ignores file permissions, so the test drops them here).
import { Readable } from 'node:stream';
import { createPosixAdapter } from '../../src/posix/adapter.js';

const [prefix, path] = process.argv.slice(2);
const a = createPosixAdapter({
  scheme: 'file',
  hostname: '',
  port: 0,
  prefix,
  impl: 'rucio.rse.protocols.posix.Default',
  domains: {},
});
const data = Buffer.from('should not be written');
a.write(path, Readable.from([data]), { size: data.length }).then(
  () => console.log(JSON.stringify({ code: 'NO_ERROR', retryable: false, message: 'write succeeded' })),
  (err) => console.log(JSON.stringify({ code: err.code, retryable: err.retryable, message: err.message })),
);
