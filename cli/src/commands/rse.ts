/** `oxbow rse list|add|show|set-attribute|add-protocol` */
import type { AddRseBody, ProtocolDomains, RseRow } from '@oxbow/common';
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { formatBytes, Output } from '../output.js';
import type { CliPlugin } from '../plugins.js';
import { intArg, typedValue } from './args.js';

// Rucio implementation names per scheme, used when --impl is not given.
const DEFAULT_IMPL: Record<string, string> = {
  file: 'rucio.rse.protocols.posix.Default',
  root: 'rucio.rse.protocols.xrootd.Default',
  davs: 'rucio.rse.protocols.webdav.Default',
  https: 'rucio.rse.protocols.webdav.Default',
  http: 'rucio.rse.protocols.webdav.Default',
  s3: 'rucio.rse.protocols.s3.Default',
  s3s: 'rucio.rse.protocols.s3.Default',
};
// Same default as Rucio's CLI: usable for everything, priority 1.
const DEFAULT_DOMAINS: ProtocolDomains = {
  lan: { read: 1, write: 1, delete: 1 },
  wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
};

function jsonOption(name: string) {
  return (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${name} is not valid JSON: ${(e as Error).message}`);
    }
  };
}

/** RSE commands. */
export const rseCommands: CliPlugin = {
  name: 'rse',
  register(program, ctx) {
    const group = program.command('rse').description('storage elements (RSEs), attributes and protocols');

    const list = group.command('list').description('list RSEs, optionally those matching an RSE expression');
    ctx
      .withClientOptions(list)
      .option('--expression <expr>', "RSE expression, e.g. 'tier=1&type=DISK'")
      .action(async () => {
        const expr: string | undefined = list.opts().expression;
        const rows = ctx.client(list).rses.list(expr) as AsyncGenerator<Partial<RseRow> & { rse: string }>;
        await ctx.output(list).list(rows, [
          { header: 'RSE', value: (r) => r.rse },
          { header: 'TYPE', value: (r) => r.rse_type },
          { header: 'DETERMINISTIC', value: (r) => r.deterministic },
          { header: 'VOLATILE', value: (r) => r.volatile },
        ]);
      });

    const add = group.command('add').description('create an RSE').argument('<rse>');
    ctx
      .withClientOptions(add)
      .addOption(new Option('--type <type>', 'storage type').choices(['DISK', 'TAPE']))
      .option('--non-deterministic', 'paths are chosen by the uploader, not derived from the name')
      .option('--volatile', 'a cache: replicas may disappear')
      .option('--city <city>')
      .option('--country-name <name>')
      .option('--region-code <code>')
      .action(async (rse: string) => {
        const o = add.opts();
        const body: AddRseBody = {
          ...(o.type ? { rse_type: o.type } : {}),
          ...(o.nonDeterministic ? { deterministic: false } : {}),
          ...(o.volatile ? { volatile: true } : {}),
          ...(o.city ? { city: o.city } : {}),
          ...(o.countryName ? { country_name: o.countryName } : {}),
          ...(o.regionCode ? { region_code: o.regionCode } : {}),
        };
        await ctx.client(add).rses.add(rse, body);
        await ctx.output(add).doc({ rse, ...body, created: true }, () => `Added RSE ${rse}`);
      });

    const show = group
      .command('show')
      .description('show an RSE with its attributes and protocols')
      .argument('<rse>');
    ctx.withClientOptions(show).action(async (rse: string) => {
      const client = ctx.client(show);
      const [info, attributes] = await Promise.all([client.rses.get(rse), client.rses.attributes(rse)]);
      const out = ctx.output(show);
      await out.doc({ ...info, attributes }, () => {
        const { protocols, ...settings } = info;
        const lines = [Output.keyValues(settings as Record<string, unknown>), '', 'Attributes:'];
        for (const [k, v] of Object.entries(attributes)) lines.push(`  ${k}: ${v}`);
        lines.push('', 'Protocols:');
        for (const p of protocols)
          lines.push(
            `  ${p.scheme}://${p.hostname}${p.port ? `:${p.port}` : ''}${p.prefix}  impl=${p.impl}  domains=${JSON.stringify(p.domains)}`,
          );
        return lines.join('\n');
      });
    });

    const setAttr = group
      .command('set-attribute')
      .description('set an RSE attribute (true/false become booleans)')
      .argument('<rse>')
      .argument('<key>')
      .argument('<value>');
    ctx.withClientOptions(setAttr).action(async (rse: string, key: string, value: string) => {
      const v = typedValue(value);
      await ctx.client(setAttr).rses.setAttribute(rse, key, v);
      await ctx.output(setAttr).doc({ rse, key, value: v }, () => `Set ${key}=${value} on ${rse}`);
    });

    const usage = group
      .command('usage')
      .description("space of an RSE per information source ('rucio' from the catalog, 'storage' reported)")
      .argument('<rse>')
      .option('--source <source>', 'only this source');
    ctx.withClientOptions(usage).action(async (rse: string) => {
      await ctx.output(usage).list(ctx.client(usage).rses.usage(rse, usage.opts().source), [
        { header: 'SOURCE', value: (u) => u.source },
        { header: 'USED', value: (u) => formatBytes(u.used), right: true },
        { header: 'FREE', value: (u) => formatBytes(u.free), right: true },
        { header: 'TOTAL', value: (u) => formatBytes(u.total), right: true },
        { header: 'FILES', value: (u) => u.files, right: true },
      ]);
    });

    const setUsage = group
      .command('set-usage')
      .description('record what a source reports as used/free bytes on an RSE (admin)')
      .argument('<rse>')
      .argument('<source>', "e.g. 'storage' (what the reaper compares with MinFreeSpace)")
      .requiredOption('--used <bytes>', 'used bytes', intArg('--used'))
      .option('--free <bytes>', 'free bytes', intArg('--free'))
      .option('--files <n>', 'number of files', intArg('--files'));
    ctx.withClientOptions(setUsage).action(async (rse: string, source: string) => {
      const o = setUsage.opts();
      const body = { source, used: o.used as number, free: o.free ?? null, files: o.files ?? null };
      await ctx.client(setUsage).rses.setUsage(rse, body);
      await ctx.output(setUsage).doc({ rse, ...body }, () => `Set ${source} usage of ${rse}`);
    });

    const limits = group
      .command('limits')
      .description('limits of an RSE (e.g. MinFreeSpace)')
      .argument('<rse>');
    ctx.withClientOptions(limits).action(async (rse: string) => {
      const l = await ctx.client(limits).rses.limits(rse);
      await ctx.output(limits).doc(l, () =>
        Object.entries(l)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
      );
    });

    const setLimit = group
      .command('set-limit')
      .description('set an RSE limit (admin); MinFreeSpace in bytes makes the reaper free space')
      .argument('<rse>')
      .argument('<name>')
      .argument('<value>', 'integer (bytes for MinFreeSpace)', intArg('<value>'));
    ctx.withClientOptions(setLimit).action(async (rse: string, name: string, value: number) => {
      await ctx.client(setLimit).rses.setLimit(rse, name, value);
      await ctx.output(setLimit).doc({ rse, name, value }, () => `Set ${name}=${value} on ${rse}`);
    });

    const deleteLimit = group
      .command('delete-limit')
      .description('remove an RSE limit (admin)')
      .argument('<rse>')
      .argument('<name>');
    ctx.withClientOptions(deleteLimit).action(async (rse: string, name: string) => {
      await ctx.client(deleteLimit).rses.deleteLimit(rse, name);
      await ctx.output(deleteLimit).doc({ rse, name }, () => `Deleted ${name} on ${rse}`);
    });

    const addProto = group
      .command('add-protocol')
      .description('add an access protocol (scheme, host, port, prefix) to an RSE')
      .argument('<rse>');
    ctx
      .withClientOptions(addProto)
      .requiredOption('--scheme <scheme>', 'file, root, davs, https, s3, …')
      .option('--hostname <host>', 'storage host', 'localhost')
      .option('--port <port>', 'storage port (0 = scheme default)', intArg('--port'), 0)
      .option('--prefix <path>', 'path prefix of the RSE on that storage', '')
      .option('--impl <impl>', 'implementation (Rucio names accepted; default from the scheme)')
      .option(
        '--domain-json <json>',
        'priorities per domain and operation (Rucio format)',
        jsonOption('--domain-json'),
      )
      .option(
        '--extended-attributes-json <json>',
        'protocol-specific settings',
        jsonOption('--extended-attributes-json'),
      )
      .action(async (rse: string) => {
        const o = addProto.opts();
        const impl: string | undefined = o.impl ?? DEFAULT_IMPL[o.scheme];
        if (!impl) throw new UsageError(`no default implementation for scheme '${o.scheme}': pass --impl`);
        const protocol = {
          scheme: o.scheme as string,
          hostname: o.hostname as string,
          port: o.port as number,
          prefix: o.prefix as string,
          impl,
          domains: (o.domainJson as ProtocolDomains | undefined) ?? DEFAULT_DOMAINS,
          ...(o.extendedAttributesJson ? { extended_attributes: o.extendedAttributesJson } : {}),
        };
        await ctx.client(addProto).rses.addProtocol(rse, protocol);
        await ctx
          .output(addProto)
          .doc(
            { rse, ...protocol, created: true },
            () =>
              `Added ${protocol.scheme}://${protocol.hostname}${protocol.port ? `:${protocol.port}` : ''}${protocol.prefix} to ${rse}`,
          );
      });
  },
};
