import type { Command } from '@oclif/core';
import { ProjectError } from '../../generator/project/config.js';
import { SpecError } from '../../generator/diagnostics.js';

/** Runs project work, turning its expected failures into oclif errors with their exit codes. */
export async function projectStep<T>(command: Command, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ProjectError) command.error(error.message, { exit: error.exit });
    if (error instanceof SpecError) command.error(error.message, { exit: 2 });
    throw error;
  }
}
