/** `oxbow account list|show|add|identity-add` */
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { Output } from '../output.js';
import type { CliPlugin } from '../plugins.js';

/** Account commands. */
export const accountCommands: CliPlugin = {
  name: 'account',
  register(program, ctx) {
    const group = program.command('account').description('accounts and their identities');

    const list = group.command('list').description('list accounts');
    ctx
      .withClientOptions(list)
      .addOption(
        new Option('--type <type>', 'only accounts of this type').choices(['USER', 'GROUP', 'SERVICE']),
      )
      .option('--identity <identity>', 'only accounts this identity maps to')
      .action(async () => {
        const o = list.opts();
        const rows = ctx.client(list).accounts.list({ account_type: o.type, identity: o.identity });
        await ctx.output(list).list(rows, [
          { header: 'ACCOUNT', value: (r) => r.account },
          { header: 'TYPE', value: (r) => r.type },
          { header: 'EMAIL', value: (r) => r.email },
        ]);
      });

    const show = group.command('show').description('show one account').argument('<account>');
    ctx.withClientOptions(show).action(async (account: string) => {
      const info = await ctx.client(show).accounts.get(account);
      await ctx.output(show).doc(info, () => Output.keyValues(info));
    });

    const add = group.command('add').description('create an account').argument('<account>');
    ctx
      .withClientOptions(add)
      .addOption(
        new Option('--type <type>', 'account type').choices(['USER', 'GROUP', 'SERVICE']).default('USER'),
      )
      .option('--email <email>', 'contact address')
      .action(async (account: string) => {
        const o = add.opts();
        await ctx.client(add).accounts.add(account, o.type, o.email);
        await ctx
          .output(add)
          .doc(
            { account, type: o.type, email: o.email ?? null, created: true },
            () => `Added account ${account}`,
          );
      });

    const idAdd = group
      .command('identity-add')
      .description('map an identity (user name, certificate DN, OIDC subject) to an account')
      .argument('<account>');
    ctx
      .withClientOptions(idAdd)
      .addOption(
        new Option('--type <type>', 'identity type')
          .choices([
            'USERPASS',
            'X509',
            'OIDC',
            'GSS',
            'SSH',
            'SAML',
            'userpass',
            'x509',
            'oidc',
            'gss',
            'ssh',
            'saml',
          ])
          .makeOptionMandatory(),
      )
      .requiredOption('--id <identity>', 'user name, DN or subject')
      .option('--email <email>', 'contact address of the identity')
      .option('--identity-password <password>', 'password of a USERPASS identity')
      .option('--default', 'make this account the default one of the identity')
      .action(async (account: string) => {
        const o = idAdd.opts();
        const authtype = String(o.type).toUpperCase();
        if (authtype === 'USERPASS' && !o.identityPassword)
          throw new UsageError('a USERPASS identity needs --identity-password');
        await ctx.client(idAdd).accounts.addIdentity(account, {
          identity: o.id,
          authtype,
          email: o.email ?? null,
          password: o.identityPassword,
          default: Boolean(o.default),
        });
        await ctx
          .output(idAdd)
          .doc(
            { account, identity: o.id, type: authtype, created: true },
            () => `Added identity ${o.id} (${authtype}) to account ${account}`,
          );
      });
  },
};
