// Throughput of adler32Update on a 256 MiB buffer (run: node common/dist/test/bench-adler32.js).
import { randomFillSync } from 'node:crypto';
import { adler32Update } from '../src/rucio/checksums.js';

const size = Number(process.argv[2] ?? 256) * 1024 * 1024;
const buf = randomFillSync(Buffer.allocUnsafe(size));
adler32Update(1, buf.subarray(0, 8 * 1024 * 1024)); // warm up the optimising compiler
for (let run = 1; run <= 3; run++) {
  const start = process.hrtime.bigint();
  const value = adler32Update(1, buf);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `run ${run}: adler32=${value.toString(16).padStart(8, '0')} ${(size / 1e9 / seconds).toFixed(2)} GB/s (${(size / 2 ** 30 / seconds).toFixed(2)} GiB/s)`,
  );
}
