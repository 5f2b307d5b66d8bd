/** `oxbow did list|add|attach|detach|show|content|files|meta` */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { OxbowClient } from '@oxbow/client';
import type { AttachDid, BulkAddDid, DidRef } from '@oxbow/common';
import { type Did, formatDid } from '@oxbow/common/rucio/index';
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { formatBytes, Output } from '../output.js';
import type { CliPlugin } from '../plugins.js';
import { collect, didArg, intArg, keyValueArg } from './args.js';

// Files attached per request when reading a long list (one transaction per request on the server).
const ATTACH_CHUNK = 10_000;

/** `scope:pattern`; a bare word without dots is a scope (every name in it). */
function searchArg(text: string): Did {
  if (!text.includes(':') && !text.includes('.')) return { scope: text, name: '*' };
  return didArg(text);
}

/** DIDs from arguments and, with `--from-file`, one per line of a file (`-` = stdin), in chunks. */
async function* didChunks(args: string[], file: string | undefined, size: number): AsyncGenerator<Did[]> {
  let chunk: Did[] = args.map(didArg);
  if (file) {
    const input = file === '-' ? process.stdin : createReadStream(file);
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      chunk.push(didArg(t));
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function attachAll(
  client: OxbowClient,
  parent: Did,
  args: string[],
  file: string | undefined,
  op: 'attach' | 'detach',
  rse?: string,
): Promise<number> {
  let n = 0;
  for await (const chunk of didChunks(args, file, ATTACH_CHUNK)) {
    const refs: DidRef[] = chunk.map((d) => ({ scope: d.scope, name: d.name }));
    if (op === 'attach') await client.dids.attach(parent.scope, parent.name, refs as AttachDid[], rse);
    else await client.dids.detach(parent.scope, parent.name, refs);
    n += chunk.length;
  }
  if (n === 0) throw new UsageError(`nothing to ${op}: give DIDs as arguments or --from-file`);
  return n;
}

/** DID commands. */
export const didCommands: CliPlugin = {
  name: 'did',
  register(program, ctx) {
    const group = program.command('did').description('data identifiers: files, datasets, containers');

    const list = group
      .command('list')
      .description("search DIDs of a scope: 'scope:name*' with optional metadata filters")
      .argument('<pattern>', "scope:name pattern; '*' is a wildcard (e.g. 'data18:*.AOD.*')");
    ctx
      .withClientOptions(list)
      .option(
        '--filter <filter>',
        "metadata filter, e.g. 'datatype=AOD, run_number>=1000; type=all' (',' and, ';' or)",
      )
      .addOption(
        new Option('--type <type>', 'DID types to list')
          .choices(['all', 'collection', 'dataset', 'container', 'file'])
          .default('collection'),
      )
      .option('--recursive', 'also list the content of matching collections')
      .option('--short', 'names only')
      .option('--limit <n>', 'at most n results', intArg('--limit'))
      .action(async (pattern: string) => {
        const o = list.opts();
        const did = searchArg(pattern);
        const client = ctx.client(list);
        const opts = {
          filters: o.filter ?? '',
          name: did.name,
          type: o.type,
          recursive: o.recursive,
          limit: o.limit,
        };
        const out = ctx.output(list);
        if (o.short) {
          await out.list(
            client.dids.search(did.scope, opts),
            [{ header: 'SCOPE:NAME', value: (name) => `${did.scope}:${name}` }],
            (name) => `${did.scope}:${name}`,
          );
          return;
        }
        await out.list(client.dids.searchLong(did.scope, opts), [
          { header: 'SCOPE:NAME', value: (r) => `${r.scope}:${r.name}` },
          { header: 'TYPE', value: (r) => r.did_type },
          { header: 'BYTES', value: (r) => r.bytes, right: true },
          { header: 'LENGTH', value: (r) => r.length, right: true },
        ]);
      });

    const add = group
      .command('add')
      .description('register datasets or containers (or, with --type file, files with size and checksum)')
      .argument('<did...>', 'scope:name of each DID to add');
    ctx
      .withClientOptions(add)
      .addOption(
        new Option('--type <type>', 'type of the new DIDs')
          .choices(['dataset', 'container', 'file'])
          .default('dataset'),
      )
      .option('--monotonic', 'content can only be added, never removed')
      .option('--lifetime <seconds>', 'delete after this many seconds', intArg('--lifetime'))
      .option('--meta <key=value>', 'metadata (repeatable)', collect)
      .option('--bytes <n>', 'file size (type file)', intArg('--bytes'))
      .option('--adler32 <hex>', 'file adler32 checksum (type file)')
      .option('--md5 <hex>', 'file md5 checksum (type file)')
      .action(async (dids: string[]) => {
        const o = add.opts();
        const type = String(o.type).toUpperCase();
        const meta = o.meta ? Object.fromEntries((o.meta as string[]).map(keyValueArg)) : undefined;
        if (type === 'FILE' && o.bytes === undefined)
          throw new UsageError('a file needs --bytes (and a checksum)');
        const body = {
          type,
          ...(o.monotonic ? { statuses: { monotonic: true } } : {}),
          ...(o.lifetime ? { lifetime: o.lifetime } : {}),
          ...(meta ? { meta } : {}),
          ...(type === 'FILE' ? { bytes: o.bytes, adler32: o.adler32, md5: o.md5 } : {}),
        };
        const parsed = dids.map(didArg);
        const client = ctx.client(add);
        if (parsed.length === 1) await client.dids.add(parsed[0]!.scope, parsed[0]!.name, body);
        else
          await client.dids.addMany(
            parsed.map((d) => ({ scope: d.scope, name: d.name, ...body }) as BulkAddDid),
          );
        const out = ctx.output(add);
        if (out.json)
          await out.list(
            (async function* () {
              yield* parsed;
            })(),
            [],
            (d) => ({ scope: d.scope, name: d.name, type, created: true }),
          );
        else await out.write(parsed.map((d) => `Added ${type.toLowerCase()} ${formatDid(d)}\n`).join(''));
      });

    const attach = group
      .command('attach')
      .description('attach DIDs to a dataset or container')
      .argument('[dids...]', 'scope:name of the DIDs to attach');
    ctx
      .withClientOptions(attach)
      .requiredOption('--to <did>', 'the dataset or container')
      .option('--from-file <file>', "read DIDs from a file, one per line ('-' = stdin)")
      .option('--rse <rse>', 'also register the files as replicas on this RSE (Rucio semantics)')
      .action(async (dids: string[]) => {
        const o = attach.opts();
        const parent = didArg(o.to);
        const n = await attachAll(ctx.client(attach), parent, dids, o.fromFile, 'attach', o.rse);
        await ctx
          .output(attach)
          .doc(
            { parent: formatDid(parent), attached: n },
            () => `Attached ${n} DID(s) to ${formatDid(parent)}`,
          );
      });

    const detach = group
      .command('detach')
      .description('detach DIDs from a dataset or container')
      .argument('[dids...]', 'scope:name of the DIDs to detach');
    ctx
      .withClientOptions(detach)
      .requiredOption('--from <did>', 'the dataset or container')
      .option('--from-file <file>', "read DIDs from a file, one per line ('-' = stdin)")
      .action(async (dids: string[]) => {
        const o = detach.opts();
        const parent = didArg(o.from);
        const n = await attachAll(ctx.client(detach), parent, dids, o.fromFile, 'detach');
        await ctx
          .output(detach)
          .doc(
            { parent: formatDid(parent), detached: n },
            () => `Detached ${n} DID(s) from ${formatDid(parent)}`,
          );
      });

    const show = group.command('show').description('show one DID').argument('<did>');
    ctx
      .withClientOptions(show)
      .addOption(
        new Option('--dynamic <depth>', 'compute sizes of open collections down to this level').choices([
          'FILE',
          'DATASET',
        ]),
      )
      .action(async (text: string) => {
        const d = didArg(text);
        const info = await ctx.client(show).dids.get(d.scope, d.name, { dynamicDepth: show.opts().dynamic });
        const shown = {
          ...info,
          bytes: info.bytes === null ? null : `${info.bytes} (${formatBytes(info.bytes)})`,
        };
        await ctx.output(show).doc(info, () => Output.keyValues(shown));
      });

    const content = group
      .command('content')
      .description('list the direct content of a collection')
      .argument('<did>');
    ctx.withClientOptions(content).action(async (text: string) => {
      const d = didArg(text);
      await ctx.output(content).list(ctx.client(content).dids.content(d.scope, d.name), [
        { header: 'SCOPE:NAME', value: (r) => `${r.scope}:${r.name}` },
        { header: 'TYPE', value: (r) => r.type },
        { header: 'BYTES', value: (r) => r.bytes, right: true },
      ]);
    });

    const files = group.command('files').description('list every file below a DID').argument('<did>');
    ctx.withClientOptions(files).action(async (text: string) => {
      const d = didArg(text);
      await ctx.output(files).list(ctx.client(files).dids.files(d.scope, d.name), [
        { header: 'SCOPE:NAME', value: (r) => `${r.scope}:${r.name}` },
        { header: 'GUID', value: (r) => r.guid },
        { header: 'ADLER32', value: (r) => r.adler32 },
        { header: 'BYTES', value: (r) => r.bytes, right: true },
        { header: 'EVENTS', value: (r) => r.events, right: true },
      ]);
    });

    const meta = group
      .command('meta')
      .description('show a DID metadata, or change it with --set/--delete')
      .argument('<did>');
    ctx
      .withClientOptions(meta)
      .option('--plugin <plugin>', 'metadata plugin to read (DID_COLUMN, JSON, ALL)', 'DID_COLUMN')
      .option('--set <key=value>', 'set a key (repeatable)', collect)
      .option('--delete <key>', 'delete a key (repeatable)', collect)
      .action(async (text: string) => {
        const o = meta.opts();
        const d = didArg(text);
        const client = ctx.client(meta);
        const out = ctx.output(meta);
        if (o.set || o.delete) {
          const sets: Record<string, string> = Object.fromEntries(
            ((o.set ?? []) as string[]).map(keyValueArg),
          );
          if (Object.keys(sets).length === 1) {
            const [k, v] = Object.entries(sets)[0]!;
            await client.dids.setMeta(d.scope, d.name, k, v);
          } else if (Object.keys(sets).length > 1) await client.dids.setMetaMany(d.scope, d.name, sets);
          for (const k of (o.delete ?? []) as string[]) await client.dids.deleteMeta(d.scope, d.name, k);
          await out.doc(
            { did: formatDid(d), set: sets, deleted: o.delete ?? [] },
            () => `Updated metadata of ${formatDid(d)}`,
          );
          return;
        }
        const m = await client.dids.meta(d.scope, d.name, o.plugin);
        await out.doc(m, () => Output.keyValues(m));
      });
  },
};
