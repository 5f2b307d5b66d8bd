/** Streams iterables as `application/x-json-stream` (one JSON document per line), as Rucio lists do. */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

const FLUSH_BYTES = 64 * 1024;

/** Batches serialized lines into ~64 kB chunks so 100k-row lists do not cost 100k socket writes. */
async function* lines<T>(
  items: AsyncIterable<T> | Iterable<T>,
  line: (item: T) => string,
): AsyncGenerator<string> {
  let buf = '';
  for await (const item of items) {
    buf += `${line(item)}\n`;
    if (buf.length >= FLUSH_BYTES) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/**
 * Sends a JSON-lines response. The first item is pulled before headers go out so that an error
 * raised by the query (unknown DID, bad filter) still becomes a proper 4xx, like Rucio's try_stream.
 */
export async function sendJsonStream<T>(
  reply: FastifyReply,
  items: AsyncIterable<T> | Iterable<T>,
  map: (item: T) => unknown = (x) => x,
  contentType = 'application/x-json-stream',
): Promise<FastifyReply> {
  return sendJsonLines(reply, items, (x) => JSON.stringify(map(x)), contentType);
}

/**
 * As sendJsonStream, with the JSON text of each item made by `line` (for hot lists whose lines are
 * cheaper to build as strings than as objects handed to JSON.stringify).
 */
export async function sendJsonLines<T>(
  reply: FastifyReply,
  items: AsyncIterable<T> | Iterable<T>,
  line: (item: T) => string,
  contentType = 'application/x-json-stream',
): Promise<FastifyReply> {
  const it = lines(items, line)[Symbol.asyncIterator]();
  const first = await it.next();
  reply.header('Content-Type', contentType);
  // A Buffer, not '', so Fastify does not append a charset to the media type.
  if (first.done) return reply.send(Buffer.alloc(0));
  async function* rest(): AsyncGenerator<string> {
    yield first.value as string;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  return reply.send(Readable.from(rest(), { objectMode: false }));
}
