/**
 * How a `switchyard` command fails: the message goes to stderr, the code becomes the exit
 * status (1: the command ran and the answer is no; 2: it was called wrongly).
 *
 * @module
 */

/** A command failure with its exit status. */
export class CliError extends Error {
  /**
   * @param message - what went wrong, printed as `switchyard: <message>`
   * @param exitCode - the process exit status (default 1)
   */
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A wrong invocation (exit status 2). */
export function usageError(message: string): CliError {
  return new CliError(`${message} (see switchyard --help)`, 2);
}
