import { request } from 'node:http';
import t from 'tap';
import { api, setupScopes } from './dids-support.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

const FILES = 20_000;
const BATCH = 5_000;
const fileName = (i: number) => `data/run1/file.${String(i).padStart(6, '0')}.root`;

/** Reads a response over real HTTP; after the first chunk the client stalls while `during` runs. */
function stalledRead(
  url: string,
  headers: Record<string, string>,
  during: () => Promise<void>,
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  chunks: number;
  body: string;
  duringMs: number;
}> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      let stalled = false;
      let duringMs = -1;
      res.on('data', (c: Buffer) => {
        parts.push(c);
        if (stalled) return;
        stalled = true;
        res.pause();
        const t0 = performance.now();
        during()
          .then(() => {
            duringMs = performance.now() - t0;
            res.resume();
          })
          .catch(reject);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          chunks: parts.length,
          body: Buffer.concat(parts).toString('utf8'),
          duringMs,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

forEachDialect(t, 'DIDs: 20,000-file dataset registered in bulk and streamed', async (t, s) => {
  const a = api(s);
  await setupScopes(s);
  t.equal((await a.post('/dids/tr/big', { type: 'DATASET' })).statusCode, 201);

  // Bulk: files in batches of 5,000 per request, then attached in batches of 5,000.
  const t0 = performance.now();
  for (let i = 0; i < FILES; i += BATCH) {
    const files = Array.from({ length: BATCH }, (_, j) => ({
      scope: 'tr',
      name: fileName(i + j),
      type: 'FILE',
      bytes: 1000 + ((i + j) % 7),
      adler32: '0a0b0c0d',
    }));
    const r = await a.post('/dids', files);
    t.equal(r.statusCode, 201, `files ${i}…`);
  }
  const t1 = performance.now();
  for (let i = 0; i < FILES; i += BATCH) {
    const dids = Array.from({ length: BATCH }, (_, j) => ({ scope: 'tr', name: fileName(i + j) }));
    const r = await a.post('/dids/tr/big/dids', { dids });
    t.equal(r.statusCode, 201, `attach ${i}…`);
  }
  const t2 = performance.now();
  t.comment(
    `register ${Math.round(FILES / ((t1 - t0) / 1000))} files/s, attach ${Math.round(FILES / ((t2 - t1) / 1000))} files/s (in-process, not a benchmark)`,
  );
  const big = JSON.parse((await a.get('/dids/tr/big')).body);
  t.equal(big.length, FILES);

  // A failing batch changes nothing: the last file is already attached.
  const dup = await a.post('/dids/tr/big/dids', {
    dids: [
      { scope: 'tr', name: fileName(FILES - 1) },
      { scope: 'tr', name: 'nope' },
    ],
  });
  // As Rucio: unknown children are found before duplicates (which only the insert reveals).
  t.equal(dup.statusCode, 404);
  t.equal(dup.headers.exceptionclass, 'DataIdentifierNotFound');
  const dupOnly = await a.post('/dids/tr/big/dids', { dids: [{ scope: 'tr', name: fileName(7) }] });
  t.equal(dupOnly.statusCode, 409);
  t.equal(dupOnly.headers.exceptionclass, 'FileAlreadyExists');
  t.match(JSON.parse(dupOnly.body).ExceptionMessage, fileName(7));
  t.equal(JSON.parse((await a.get('/dids/tr/big')).body).length, FILES);

  // Streamed over real HTTP: chunked, no Content-Length, and while the client stalls after the
  // first chunk the server keeps serving other requests (no connection or lock is held).
  await s.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => undefined);
  const address = s.app.server.address();
  const base = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : s.url;
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const res = await stalledRead(`${base}/dids/tr/big/files`, s.headers, async () => {
    const r = await a.post('/dids/tr/during.stall', { type: 'DATASET' });
    t.equal(r.statusCode, 201, 'a write succeeds while a listing is stalled');
    const g = await a.get('/dids/tr/big/dids?x=1');
    t.equal(g.statusCode, 200, 'another listing runs meanwhile');
  });
  clearInterval(sampler);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/x-json-stream');
  t.equal(res.headers['content-length'], undefined, 'no Content-Length: the body is streamed');
  t.equal(res.headers['transfer-encoding'], 'chunked');
  t.ok(res.chunks > 5, `arrived in ${res.chunks} chunks`);
  t.ok(res.duringMs >= 0 && res.duringMs < 5000, `other requests served in ${Math.round(res.duringMs)} ms`);
  const lines = jsonLines(res.body) as { name: string; bytes: number }[];
  t.equal(lines.length, FILES);
  t.equal(new Set(lines.map((l) => l.name)).size, FILES, 'each file once');
  t.same(lines[0], {
    scope: 'tr',
    name: fileName(0),
    bytes: 1000,
    adler32: '0a0b0c0d',
    guid: null,
    events: null,
  });
  const growthMb = (peakRss - rssBefore) / 2 ** 20;
  t.comment(`RSS growth while streaming ${FILES} files: ${growthMb.toFixed(1)} MB`);
  t.ok(growthMb < 150, 'memory stays bounded');

  // Search over the big dataset's files streams too.
  const search = await a.get(
    `/dids/tr/dids/search?type=file&filters=${encodeURIComponent("[{'name': 'data/run1/file.01*'}]")}&long=False`,
  );
  t.equal(jsonLines(search.body).length, 10_000);
  const recursive = await a.get(
    `/dids/tr/dids/search?type=all&filters=${encodeURIComponent("[{'name': 'big'}]")}&long=True&recursive=True`,
  );
  const recLines = jsonLines(recursive.body) as { name: string; did_type: string }[];
  t.equal(recLines.length, FILES + 1, 'recursive search: the dataset and each of its files');
  t.match(recLines[0], { name: 'big', did_type: 'DATASET' });
  const scope = jsonLines((await a.get('/dids/tr/?name=big')).body);
  t.equal(scope.length, FILES);
});

forEachDialect(t, 'DIDs: attach with rse registers replicas (Rucio add_files_to_dataset)', async (t, s) => {
  const a = api(s);
  await setupScopes(s);
  for (const rse of ['TEST_DISK1', 'TEST_DISK2']) t.equal((await a.post(`/rses/${rse}`, {})).statusCode, 201);
  t.equal((await a.post('/dids/tr/ds', { type: 'DATASET' })).statusCode, 201);
  const files = Array.from({ length: 3 }, (_, i) => ({
    scope: 'tr',
    name: `new.${i}.root`,
    bytes: 10 + i,
    adler32: `0000000${i}`,
  }));
  const r = await a.post('/dids/tr/ds/dids', { rse: 'TEST_DISK1', dids: files });
  t.equal(r.statusCode, 201, r.body);
  t.same(
    (jsonLines((await a.get('/dids/tr/ds/dids')).body) as { name: string }[]).map((d) => d.name),
    ['new.0.root', 'new.1.root', 'new.2.root'],
  );
  t.match(JSON.parse((await a.get('/dids/tr/new.1.root')).body), {
    type: 'FILE',
    bytes: 11,
    adler32: '00000001',
  });
  // The replica module sees them: the dataset has all 3 files on TEST_DISK1.
  const reps = await a.get('/replicas/tr/ds/datasets');
  t.equal(reps.statusCode, 200, reps.body);
  t.match(jsonLines(reps.body), [{ rse: 'TEST_DISK1', length: 3, available_length: 3, state: 'AVAILABLE' }]);

  // add_dataset with files and rse in one call
  const ds2 = await a.post('/dids/tr/ds2', {
    type: 'DATASET',
    rse: 'TEST_DISK2',
    dids: [{ scope: 'tr', name: 'new.9.root', bytes: 9, adler32: '00000009' }],
  });
  t.equal(ds2.statusCode, 201, ds2.body);
  t.equal(JSON.parse((await a.get('/dids/tr/ds2')).body).length, 1);

  // errors: unknown RSE, checksum conflict with the registered file, missing size, closed target
  const unknown = await a.post('/dids/tr/ds/dids', {
    rse: 'NOPE',
    dids: [{ scope: 'tr', name: 'x.root', bytes: 1 }],
  });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.headers.exceptionclass, 'RSENotFound');
  t.equal((await a.get('/dids/tr/x.root')).statusCode, 404, 'nothing registered');
  const noBytes = await a.post('/dids/tr/ds/dids', {
    rse: 'TEST_DISK1',
    dids: [{ scope: 'tr', name: 'y.root' }],
  });
  t.equal(noBytes.statusCode, 400);
  const conflict = await a.post('/dids/tr/ds/dids', {
    rse: 'TEST_DISK2',
    dids: [{ scope: 'tr', name: 'new.0.root', bytes: 999, adler32: '00000000' }],
  });
  t.ok(conflict.statusCode === 409 || conflict.statusCode === 412, `size conflict → ${conflict.statusCode}`);
  t.equal((await a.put('/dids/tr/ds/status', { open: false })).statusCode, 200);
  const closed = await a.post('/dids/tr/ds/dids', {
    rse: 'TEST_DISK1',
    dids: [{ scope: 'tr', name: 'z.root', bytes: 1, adler32: '00000001' }],
  });
  t.equal(closed.statusCode, 409);
  t.equal((await a.get('/dids/tr/z.root')).statusCode, 404, 'no replica registered for a closed target');
  const intoContainer = await a.post('/dids/tr/cnt', { type: 'CONTAINER' });
  t.equal(intoContainer.statusCode, 201);
  const rseCnt = await a.post('/dids/tr/cnt/dids', {
    rse: 'TEST_DISK1',
    dids: [{ scope: 'tr', name: 'ds2' }],
  });
  t.equal(rseCnt.statusCode, 409);
});
