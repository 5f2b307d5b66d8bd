/** `oxbow transfer-limit list|set|delete`: at most N active transfers into an RSE expression (Rucio's transfer limits). */
import type { TransferLimit } from '@oxbow/common';
import type { CliPlugin } from '../plugins.js';
import { intArg } from './args.js';

/** The transfer-limit commands. */
export const transferLimitCommands: CliPlugin = {
  name: 'transfer-limit',
  register(program, ctx) {
    const group = program
      .command('transfer-limit')
      .description('limits on active transfers into RSEs, per activity (enforced by the transfer daemons)');

    const list = group.command('list').description('list the transfer limits');
    ctx.withClientOptions(list).action(async () => {
      await ctx.output(list).list<TransferLimit>(ctx.client(list).requests.transferLimits(), [
        { header: 'RSE_EXPRESSION', value: (l) => l.rse_expression },
        { header: 'ACTIVITY', value: (l) => l.activity },
        { header: 'DIRECTION', value: (l) => l.direction },
        { header: 'MAX_TRANSFERS', value: (l) => l.max_transfers, right: true },
      ]);
    });

    const set = group
      .command('set')
      .description('set the limit of an RSE expression (for one activity, or all) (admin)')
      .argument('<rse_expression>')
      .argument('<max_transfers>', 'transfers active at once', intArg('<max_transfers>'))
      .option('--activity <activity>', 'only transfers of this activity (default: all activities)');
    ctx.withClientOptions(set).action(async (expr: string, max: number) => {
      const activity: string | undefined = set.opts().activity;
      await ctx.client(set).requests.setTransferLimit({ rse_expression: expr, activity, max_transfers: max });
      await ctx
        .output(set)
        .doc(
          { rse_expression: expr, activity: activity ?? 'all_activities', max_transfers: max },
          () => `At most ${max} active transfers into '${expr}'${activity ? ` for ${activity}` : ''}`,
        );
    });

    const del = group
      .command('delete')
      .description('remove the limit of an RSE expression (admin)')
      .argument('<rse_expression>')
      .option('--activity <activity>', 'the limit of this activity (default: the all-activities one)');
    ctx.withClientOptions(del).action(async (expr: string) => {
      const activity: string | undefined = del.opts().activity;
      await ctx.client(del).requests.deleteTransferLimit({ rse_expression: expr, activity });
      await ctx
        .output(del)
        .doc(
          { rse_expression: expr, activity: activity ?? 'all_activities' },
          () => `Deleted the limit of '${expr}'${activity ? ` for ${activity}` : ''}`,
        );
    });
  },
};
