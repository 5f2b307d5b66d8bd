/** `oxbow hadd`: ROOT's hadd (merge ROOT files), with ROOT's own option syntax (`-f6`, `-fk`, `-k`, `-T`, `-n N`, `-j N`). */
import { CliExit } from '../errors.js';
import type { CliPlugin } from '../plugins.js';

/** The hadd command; options are passed untouched to root-io's hadd parser. */
export const haddCommand: CliPlugin = {
  name: 'hadd',
  register(program, ctx) {
    program
      .command('hadd')
      .description(
        "merge ROOT files like ROOT's hadd: oxbow hadd [-f[0-9]|-fk|-ff] [-k] [-T] [-n N] [-j N] target.root sources…",
      )
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[args...]', 'hadd options, the target, then the sources')
      .action(async (args: string[]) => {
        // Loaded here so that other commands do not pay for the ROOT codecs.
        const { runHadd } = await import('@oxbow/root-io/hadd-cli');
        const code = await runHadd(args, { stdout: ctx.stdout, stderr: ctx.stderr });
        if (code !== 0) throw new CliExit(code);
      });
  },
};
