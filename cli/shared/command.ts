import { Command } from '@oclif/core';

/**
 * oclif 4.8 sets `process.exitCode` from `err.exitCode` when `--json` is on, so `this.error(msg, { exit: 2 })`
 * ended with 1 under --json. Scripts read exit codes with --json most of all: keep the one asked for.
 */
export abstract class HookgenCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (process.exitCode === undefined && typeof err.oclif?.exit === 'number') process.exitCode = err.oclif.exit;
    return super.catch(err);
  }

  /** oclif's default drops the message (`{ error: { oclif: { exit } } }`); scripts need it. */
  protected override toErrorJson(err: Error & { oclif?: { exit?: number } }): unknown {
    return { error: { message: err.message, exit: err.oclif?.exit ?? 1 } };
  }
}
