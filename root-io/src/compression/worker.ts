// Worker thread body of CompressPool: compresses payloads with ROOT's block format.
import { parentPort } from 'node:worker_threads';
import { compress } from './codec.js';

interface Job {
  id: number;
  data: Uint8Array;
  setting: number;
}

parentPort!.on('message', async ({ id, data, setting }: Job) => {
  try {
    const out = await compress(data, setting);
    // Send an exactly sized buffer of its own so it can be transferred without copying it back.
    const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
    parentPort!.postMessage({ id, out: own }, [own.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
