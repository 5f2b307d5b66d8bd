/** Parses `application/x-json-stream` bodies (one JSON document per line) incrementally. */
import { StringDecoder } from 'node:string_decoder';
import { RucioClientError } from './errors.js';

/**
 * Yields one parsed document per non-empty line as chunks arrive. Memory stays at one chunk plus
 * one partial line, whatever the length of the list.
 */
export async function* parseJsonLines<T>(
  chunks: AsyncIterable<Buffer | string>,
  request = 'response',
): AsyncGenerator<T> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  const parse = (line: string): T => {
    try {
      return JSON.parse(line) as T;
    } catch (e) {
      throw new RucioClientError(
        'ProtocolError',
        200,
        `${request}: line ${lineNo} of the JSON-lines answer is not JSON (${(e as Error).message}): ${line.slice(0, 120)}`,
        request,
      );
    }
  };
  for await (const chunk of chunks) {
    rest += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let nl = rest.indexOf('\n', start); nl !== -1; nl = rest.indexOf('\n', start)) {
      const line = rest.slice(start, nl).trim();
      start = nl + 1;
      lineNo++;
      if (line !== '') yield parse(line);
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  const last = rest.trim();
  lineNo++;
  if (last !== '') yield parse(last);
}
