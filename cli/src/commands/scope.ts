/** `oxbow scope list|add` */
import type { ScopeOwner } from '@oxbow/common';
import type { CliPlugin } from '../plugins.js';

/** Scope commands. */
export const scopeCommands: CliPlugin = {
  name: 'scope',
  register(program, ctx) {
    const group = program.command('scope').description('scopes (namespaces of DIDs)');

    const list = group.command('list').description('list scopes with their owner');
    ctx
      .withClientOptions(list)
      .option('--owner <account>', 'only the scopes of this account')
      .action(async () => {
        const client = ctx.client(list);
        const account: string | undefined = list.opts().owner;
        async function* rows(): AsyncGenerator<ScopeOwner> {
          const owners = await client.scopes.owners();
          for (const o of owners) if (!account || o.account === account) yield o;
        }
        await ctx.output(list).list(rows(), [
          { header: 'SCOPE', value: (r) => r.scope },
          { header: 'ACCOUNT', value: (r) => r.account },
        ]);
      });

    const add = group.command('add').description('create a scope').argument('<scope>');
    ctx
      .withClientOptions(add)
      .option('--owner <account>', 'account owning the scope (default: the account you act as)')
      .action(async (scope: string) => {
        const client = ctx.client(add);
        const owner: string = add.opts().owner ?? (await client.accounts.whoami()).account;
        await client.scopes.add(scope, owner);
        await ctx
          .output(add)
          .doc({ scope, account: owner, created: true }, () => `Added scope ${scope} for ${owner}`);
      });
  },
};
