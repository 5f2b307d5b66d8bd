/** `oxbow replica list` */
import type { ListedReplica } from '@oxbow/common';
import { formatDid } from '@oxbow/common/rucio/index';
import { Option } from 'commander';
import type { CliPlugin } from '../plugins.js';
import { didArg } from './args.js';

/** One printed row: a file on one RSE with one PFN. */
interface PfnRow {
  file: ListedReplica;
  rse: string;
  pfn: string;
  state?: string;
}

async function* perPfn(files: AsyncIterable<ListedReplica>): AsyncGenerator<PfnRow> {
  for await (const f of files) {
    const rses = Object.entries(f.rses ?? {});
    if (rses.length === 0) yield { file: f, rse: '', pfn: '' };
    for (const [rse, pfns] of rses) {
      for (const pfn of pfns) yield { file: f, rse, pfn, state: f.states?.[rse] };
    }
  }
}

/** Replica commands. */
export const replicaCommands: CliPlugin = {
  name: 'replica',
  register(program, ctx) {
    const group = program.command('replica').description('file replicas on RSEs');

    const list = group
      .command('list')
      .description('list the files of files/datasets/containers with their PFNs on each RSE')
      .argument('<dids...>', 'scope:name of files, datasets or containers');
    ctx
      .withClientOptions(list)
      .option('--rses <expression>', 'only replicas on RSEs matching this expression')
      .option('--schemes <list>', 'only these protocol schemes (comma-separated, e.g. root,davs)')
      .option('--all-states', 'also replicas that are not AVAILABLE')
      .addOption(new Option('--domain <domain>', 'network domain of the PFNs').choices(['wan', 'lan', 'all']))
      .action(async (dids: string[]) => {
        const o = list.opts();
        const files = ctx.client(list).replicas.list({
          dids: dids.map(didArg).map((d) => ({ scope: d.scope, name: d.name })),
          rse_expression: o.rses,
          schemes: o.schemes
            ? String(o.schemes)
                .split(',')
                .map((s) => s.trim())
            : undefined,
          all_states: Boolean(o.allStates),
          domain: o.domain,
        });
        const out = ctx.output(list);
        // JSON keeps Rucio's per-file document; the table shows one line per PFN.
        if (out.json) {
          await out.list(files, []);
          return;
        }
        await out.list(perPfn(files), [
          { header: 'SCOPE:NAME', value: (r) => formatDid(r.file) },
          { header: 'BYTES', value: (r) => r.file.bytes, right: true },
          { header: 'ADLER32', value: (r) => r.file.adler32 },
          { header: 'RSE', value: (r) => r.rse },
          { header: 'STATE', value: (r) => r.state },
          { header: 'PFN', value: (r) => r.pfn },
        ]);
      });
  },
};
