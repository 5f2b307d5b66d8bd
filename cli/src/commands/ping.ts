/** `oxbow ping` and `oxbow whoami`. */
import { createClient, resolveClientSettings } from '@oxbow/client';
import { Output } from '../output.js';
import type { CliPlugin } from '../plugins.js';

/** `oxbow ping`: server version (no credentials needed). */
export const pingCommand: CliPlugin = {
  name: 'ping',
  register(program, ctx) {
    const cmd = program.command('ping').description('check that the server answers and print its version');
    ctx.withClientOptions(cmd).action(async () => {
      const out = ctx.output(cmd);
      // ping needs no credentials: do not insist on a username.
      const s = resolveClientSettings({ url: cmd.opts().url, config: cmd.opts().config }, ctx.env).settings;
      if (!s.url) return void ctx.client(cmd); // raises the "no server URL" usage error
      const client = createClient({
        url: s.url,
        vo: s.vo,
        retries: s.retries,
        timeoutMs: s.timeoutMs,
        caFile: s.caFile,
        certDir: s.certDir,
      });
      try {
        const info = await client.ping();
        await out.doc({ url: s.url, ...info }, () => `${s.url}: Oxbow ${info.version}`);
      } finally {
        await client.close();
      }
    });
  },
};

/** `oxbow whoami`: the account the credentials act as. */
export const whoamiCommand: CliPlugin = {
  name: 'whoami',
  register(program, ctx) {
    const cmd = program.command('whoami').description('show the account your credentials act as');
    ctx.withClientOptions(cmd).action(async () => {
      const account = await ctx.client(cmd).accounts.whoami();
      await ctx.output(cmd).doc(account, () => Output.keyValues(account));
    });
  },
};
