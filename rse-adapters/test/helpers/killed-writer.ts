// Child process for the "killed writer" conformance case: writes a paced stream through an adapter
// and reports on stdout how many bytes the adapter has taken, until the test SIGKILLs it.
import { Readable } from 'node:stream';
import { type AnyAdapterOptions, createAdapter } from '../../src/registry.js';
import type { RseProtocol } from '../../src/types.js';
import { randomBuffer } from '../data.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as {
  protocol: RseProtocol;
  options?: AnyAdapterOptions;
  path: string;
  size: number;
};
const chunk = randomBuffer(1 << 20, 77);
let fed = 0;

/** 1 MiB every 40 ms: slow enough for the test to kill the writer while bytes are in flight. */
async function* paced(): AsyncGenerator<Buffer> {
  while (fed < spec.size) {
    const n = Math.min(chunk.length, spec.size - fed);
    fed += n;
    process.stdout.write(`${fed}\n`);
    yield chunk.subarray(0, n);
    await new Promise((r) => setTimeout(r, 40));
  }
}

const a = createAdapter(spec.protocol, spec.options);
await a.write(spec.path, Readable.from(paced()), { size: spec.size });
process.stdout.write('done\n');
await a.close();
