/** `oxbow rule add|list|show|update|delete`: replication rules. */
import type { RuleAnalysis, RuleInfo, RuleUpdateOptions } from '@oxbow/common';
import { formatDid } from '@oxbow/common/rucio/index';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { formatBytes, Output } from '../output.js';
import type { CliPlugin } from '../plugins.js';
import { didArg, intArg } from './args.js';

/** `true`/`false` (also yes/no, 1/0) for options that take a boolean value. */
function boolArg(name: string) {
  return (text: string): boolean => {
    if (/^(true|yes|1)$/i.test(text)) return true;
    if (/^(false|no|0)$/i.test(text)) return false;
    throw new UsageError(`${name} must be true or false, not '${text}'`);
  };
}

/** A rule id as the server makes them (32 hex digits; Rucio's UUIDs with dashes are accepted too). */
function ruleIdArg(text: string): string {
  const id = text.trim();
  if (!/^[0-9a-fA-F-]{32,36}$/.test(id)) throw new UsageError(`'${text}' is not a rule id (32 hex digits)`);
  return id.replace(/-/g, '').toLowerCase();
}

/** `OK/REPLICATING/STUCK` lock counts, as Rucio's list-rules prints them. */
const lockCounts = (r: RuleInfo) => `${r.locks_ok_cnt}/${r.locks_replicating_cnt}/${r.locks_stuck_cnt}`;

/** Human form of `rule show`: the rule, its progress, and the files with problems. */
function showText(rule: RuleInfo, a: RuleAnalysis): string {
  const pct = a.bytes_total > 0 ? ` (${((100 * a.bytes_done) / a.bytes_total).toFixed(1)}%)` : '';
  const head = Output.keyValues({
    id: rule.id,
    account: rule.account,
    did: `${rule.scope}:${rule.name} (${rule.did_type})`,
    state: rule.state,
    error: rule.error,
    rse_expression: rule.rse_expression,
    copies: rule.copies,
    grouping: rule.grouping,
    weight: rule.weight,
    activity: rule.activity,
    source_replica_expression: rule.source_replica_expression,
    locked: rule.locked,
    purge_replicas: rule.purge_replicas,
    comments: rule.comments,
    expires_at: rule.expires_at,
    created_at: rule.created_at,
    updated_at: rule.updated_at,
    locks: `OK ${a.locks.OK}, REPLICATING ${a.locks.REPLICATING}, STUCK ${a.locks.STUCK}`,
    bytes: `${formatBytes(a.bytes_done)} of ${formatBytes(a.bytes_total)} done${pct}`,
  });
  if (a.transfers.length === 0) return head;
  const rows = a.transfers.map((x) => [
    `${x.scope}:${x.name}`,
    x.rse,
    x.lock_state,
    String(x.attempts),
    (x.last_error ?? '').replace(/\s*\n\s*/g, ' '),
  ]);
  const headers = ['FILE', 'RSE', 'LOCK', 'ATTEMPTS', 'LAST ERROR'];
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  return `${head}\n\nFiles with problems:\n${[line(headers), ...rows.map(line)].join('\n')}`;
}

/** Rule commands. */
export const ruleCommands: CliPlugin = {
  name: 'rule',
  register(program, ctx) {
    const group = program.command('rule').description('replication rules: copies of DIDs on RSEs');

    const add = group
      .command('add')
      .description('add a rule for each DID: N copies on the RSEs an expression selects')
      .argument('<did...>', 'scope:name of each DID (file, dataset or container)');
    ctx
      .withClientOptions(add)
      .requiredOption('--copies <n>', 'number of copies', intArg('--copies'))
      .requiredOption('--rses <expression>', "RSE expression, e.g. 'tier=1&type=DISK' or 'A|B'")
      .option('--lifetime <seconds>', 'the rule expires after this many seconds', intArg('--lifetime'))
      .addOption(
        new Option('--grouping <grouping>', 'ALL: all files together; DATASET: per dataset; NONE: per file')
          .choices(['ALL', 'DATASET', 'NONE'])
          .default('DATASET'),
      )
      .option('--weight <attribute>', 'RSE attribute whose values weigh the RSE choice')
      .option('--activity <activity>', 'transfer activity (e.g. "User Subscriptions")')
      .option('--source-replica-expression <expression>', 'only copy from RSEs matching this expression')
      .option('--comment <text>', 'comment stored with the rule')
      .option('--asynchronous', 'let the judge evaluate the rule later (large DIDs)')
      .action(async (dids: string[]) => {
        const o = add.opts();
        if (o.copies < 1) throw new UsageError('--copies must be at least 1');
        const parsed = dids.map(didArg);
        const ids = await ctx.client(add).rules.add({
          dids: parsed.map((d) => ({ scope: d.scope, name: d.name })),
          copies: o.copies,
          rse_expression: o.rses,
          grouping: o.grouping,
          ...(o.lifetime !== undefined ? { lifetime: o.lifetime } : {}),
          ...(o.weight !== undefined ? { weight: o.weight } : {}),
          ...(o.activity !== undefined ? { activity: o.activity } : {}),
          ...(o.sourceReplicaExpression !== undefined
            ? { source_replica_expression: o.sourceReplicaExpression }
            : {}),
          ...(o.comment !== undefined ? { comment: o.comment } : {}),
          ...(o.asynchronous ? { asynchronous: true } : {}),
        });
        await ctx.output(add).doc(ids, () => ids.join('\n'));
      });

    const list = group.command('list').description('list rules, optionally of one DID or one account');
    ctx.withClientOptions(list);
    const accountOpt = list.options.find((x) => x.long === '--account');
    if (accountOpt) accountOpt.description = 'only the rules of this account (act as: env OXBOW_ACCOUNT)';
    list
      .option('--did <scope:name>', 'rules on this DID')
      .option('--state <state>', 'OK, REPLICATING, STUCK or SUSPENDED')
      .action(async () => {
        const o = list.opts();
        const did = o.did ? didArg(o.did) : undefined;
        // Here --account filters (as in Rucio's list-rules); the account acted as comes from OXBOW_ACCOUNT.
        const asCaller = { opts: () => ({ ...o, account: undefined }) } as unknown as Command;
        const rules = ctx.client(asCaller).rules.list({
          scope: did?.scope,
          name: did?.name,
          account: o.account,
          state: o.state,
        });
        await ctx.output(list).list(rules, [
          { header: 'ID', value: (r) => r.id },
          { header: 'ACCOUNT', value: (r) => r.account },
          { header: 'SCOPE:NAME', value: (r) => `${r.scope}:${r.name}` },
          { header: 'STATE[OK/REPL/STUCK]', value: (r) => `${r.state}[${lockCounts(r)}]` },
          { header: 'RSE_EXPRESSION', value: (r) => r.rse_expression },
          { header: 'COPIES', value: (r) => r.copies, right: true },
          { header: 'EXPIRES', value: (r) => r.expires_at },
        ]);
      });

    const show = group
      .command('show')
      .description('one rule with lock counts per state, bytes done and the last error of each stuck file')
      .argument('<id>', 'rule id');
    ctx.withClientOptions(show).action(async (text: string) => {
      const id = ruleIdArg(text);
      const client = ctx.client(show);
      const [rule, analysis] = await Promise.all([client.rules.get(id), client.rules.analysis(id)]);
      await ctx.output(show).doc({ ...rule, analysis }, () => showText(rule, analysis));
    });

    const update = group
      .command('update')
      .description('change a rule: lifetime, locked, comment, state (STUCK retries stuck files)')
      .argument('<id>', 'rule id');
    ctx
      .withClientOptions(update)
      .option('--lifetime <seconds>', 'new lifetime from now', intArg('--lifetime'))
      .option('--locked <bool>', 'true: the rule cannot be deleted', boolArg('--locked'))
      .option('--comment <text>', 'new comment')
      .option('--state <state>', 'STUCK (retry now) or SUSPENDED')
      .action(async (text: string) => {
        const id = ruleIdArg(text);
        const o = update.opts();
        const options: RuleUpdateOptions = {};
        if (o.lifetime !== undefined) options.lifetime = o.lifetime;
        if (o.locked !== undefined) options.locked = o.locked;
        if (o.comment !== undefined) options.comment = o.comment;
        if (o.state !== undefined) options.state = String(o.state).toUpperCase();
        if (Object.keys(options).length === 0)
          throw new UsageError('nothing to update: give --lifetime, --locked, --comment or --state');
        await ctx.client(update).rules.update(id, options);
        await ctx.output(update).doc({ id, updated: options }, () => `Updated rule ${id}`);
      });

    const del = group.command('delete').description('delete a rule').argument('<id>', 'rule id');
    ctx
      .withClientOptions(del)
      .option('--purge-replicas', 'delete the replicas no other rule protects at once')
      .action(async (text: string) => {
        const id = ruleIdArg(text);
        const purge = Boolean(del.opts().purgeReplicas);
        const client = ctx.client(del);
        const rule = await client.rules.get(id);
        await client.rules.delete(id, purge || undefined);
        await ctx
          .output(del)
          .doc(
            { id, did: formatDid(rule), deleted: true, purge_replicas: purge },
            () => `Deleted rule ${id} on ${formatDid(rule)}${purge ? ' (replicas purged)' : ''}`,
          );
      });
  },
};
