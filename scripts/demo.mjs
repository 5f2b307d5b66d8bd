// Short demo run by `npm start`: writes three small files into LOCAL_DISK1, registers them as
// AVAILABLE replicas (after checking their bytes and checksums on disk), puts them into a dataset,
// and lists the dataset and its replicas with the `oxbow` CLI. Safe to run again.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clientFromEnvironment } from '@oxbow/client';
import { adler32, deterministicPath } from '@oxbow/common/rucio/index';

const client = clientFromEnvironment({});
const scope = 'demo';
const dataset = 'quickstart.dataset';
const step = (s) => console.log(`\n$ ${s}`);

try {
  await client.scopes.add(scope, 'root');
} catch (e) {
  if (!e.isDuplicate) throw e;
}

const [proto] = await client.rses.protocols('LOCAL_DISK1');
const files = [];
for (let i = 1; i <= 3; i++) {
  const name = `quickstart.file${i}.txt`;
  const bytes = Buffer.from(`Oxbow quick start file ${i}\n`.repeat(100 * i));
  const path = join(proto.prefix, deterministicPath(scope, name));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.part`, bytes);
  renameSync(`${path}.part`, path);
  const onDisk = readFileSync(path);
  const file = {
    scope,
    name,
    bytes: onDisk.length,
    adler32: adler32(onDisk),
    md5: createHash('md5').update(onDisk).digest('hex'),
  };
  if (file.bytes !== bytes.length || file.adler32 !== adler32(bytes))
    throw new Error(`${path}: bytes on disk differ`);
  files.push({ ...file, state: 'A' });
}
step(`register ${files.length} files on LOCAL_DISK1 and attach them to ${scope}:${dataset}`);
await client.replicas.add('LOCAL_DISK1', files);
try {
  await client.dids.add(scope, dataset, { type: 'DATASET' });
} catch (e) {
  if (!e.isDuplicate) throw e;
}
const present = new Set();
for await (const c of client.dids.content(scope, dataset)) present.add(c.name);
const missing = files.filter((f) => !present.has(f.name)).map((f) => ({ scope, name: f.name }));
if (missing.length) await client.dids.attach(scope, dataset, missing);
console.log(`registered; ${missing.length} newly attached`);
await client.close();

const cli = join(dirname(new URL(import.meta.url).pathname), '..', 'cli', 'bin', 'oxbow.js');
for (const args of [
  ['whoami'],
  ['did', 'list', `${scope}:*`],
  ['did', 'content', `${scope}:${dataset}`],
  ['replica', 'list', `${scope}:${dataset}`],
]) {
  step(`oxbow ${args.join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
}
