import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import t from 'tap';
import {
  adler32,
  adler32Combine,
  adler32Update,
  checksumOf,
  checksumStream,
  createAdler32,
  formatAdler32,
} from '../src/rucio/checksums.js';
import { check } from './props.js';
import { reference } from './reference.js';

/** Textbook adler32, one modulo per byte: the independent reference. */
function slowAdler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

function patterned(kind: 'mul31' | 'ff', n: number): Buffer {
  const buf = Buffer.alloc(n, 0xff);
  if (kind === 'mul31') for (let i = 0; i < n; i++) buf[i] = (i * 31 + 7) % 256;
  return buf;
}

t.test('known values', async (t) => {
  t.equal(adler32(Buffer.from('Wikipedia')), '11e60398');
  t.equal(adler32(Buffer.alloc(0)), '00000001');
  t.equal(adler32(Buffer.from('a')), '00620062');
  t.equal(adler32(Buffer.from('abc')), '024d0127');
  t.equal(formatAdler32(0x1), '00000001', 'zero padded');
  t.equal(formatAdler32(0xabcdef01), 'abcdef01', 'lower case');
});

t.test('matches zlib.adler32 (computed by Python) incl. 0xff runs at the overflow limits', async (t) => {
  for (const c of reference.adler32)
    t.equal(adler32(patterned(c.pattern, c.length)), c.adler32, `${c.pattern} x ${c.length}`);
});

t.test('matches the textbook implementation on random data of many sizes', async (t) => {
  const sizes = [
    0, 1, 2, 3, 15, 16, 17, 31, 255, 3799, 3800, 3801, 5551, 5552, 5553, 7600, 7601, 11104, 65535, 65536,
    200_003,
  ];
  for (const n of sizes) {
    const data = randomBytes(n);
    t.equal(adler32(data), formatAdler32(slowAdler32(data)), `random ${n} bytes`);
    const ff = Buffer.alloc(n, 0xff);
    t.equal(adler32(ff), formatAdler32(slowAdler32(ff)), `0xff ${n} bytes`);
  }
  check(
    t,
    'random buffers',
    fc.property(fc.uint8Array({ maxLength: 20_000 }), (data) => {
      if (adler32(data) !== formatAdler32(slowAdler32(data))) throw new Error(`length ${data.length}`);
    }),
    300,
  );
});

t.test('incremental updates and combine equal one-shot', async (t) => {
  check(
    t,
    'split anywhere',
    fc.property(fc.uint8Array({ maxLength: 12_000 }), fc.array(fc.nat(), { maxLength: 6 }), (data, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
      const inc = createAdler32();
      let prev = 0;
      for (const p of [...points, data.length]) {
        inc.update(data.subarray(prev, p));
        prev = p;
      }
      const whole = adler32Update(1, data);
      if (inc.value() !== whole || inc.digest() !== formatAdler32(whole))
        throw new Error('incremental differs');
      const cut = points[0] ?? 0;
      const left = data.subarray(0, cut);
      const right = data.subarray(cut);
      const combined = adler32Combine(adler32Update(1, left), adler32Update(1, right), right.length);
      if (combined !== whole) throw new Error(`combine differs at ${cut}`);
    }),
    300,
  );
});

t.test('checksumStream passes data through and reports adler32, md5 and size', async (t) => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const chunks: Buffer[] = [];
  const stream = checksumStream();
  t.equal(stream.result(), undefined, 'no result before the end');
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += 65_531) yield data.subarray(i, i + 65_531);
    })(),
  );
  await pipeline(
    source,
    stream,
    new Writable({
      write(chunk, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
  );
  const expected = {
    adler32: formatAdler32(slowAdler32(data)),
    md5: createHash('md5').update(data).digest('hex'),
    bytes: data.length,
  };
  t.same(await stream.checksums, expected);
  t.same(stream.result(), expected);
  t.ok(Buffer.concat(chunks).equals(data), 'data passes through unchanged');
  t.same(await checksumOf(Readable.from([data.subarray(0, 10), data.subarray(10)])), expected);
  t.same(await checksumOf(Readable.from(['Wikipedia'])), {
    adler32: '11e60398',
    md5: createHash('md5').update('Wikipedia').digest('hex'),
    bytes: 9,
  });
});
