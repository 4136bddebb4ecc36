// Exit codes follow DESIGN.md: 0 ok, 1 stack failure, 2 bad usage or bad stack file, 3 engine unreachable.
export const ExitCode = {
  Ok: 0,
  StackFailure: 1,
  BadInput: 2,
  EngineUnreachable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where in a stack file something was written. Lines and columns are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/**
 * An error meant for the user: one screen, no stack trace. The CLI prints `message` (and `frame`, a short
 * code frame, when present) and exits with `exitCode`.
 */
export class BerthError extends Error {
  readonly exitCode: ExitCode;
  readonly pos?: SourcePos;
  readonly frame?: string;
  readonly hint?: string;

  constructor(
    message: string,
    opts: { exitCode?: ExitCode; pos?: SourcePos; frame?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BerthError';
    this.exitCode = opts.exitCode ?? ExitCode.StackFailure;
    this.pos = opts.pos;
    this.frame = opts.frame;
    this.hint = opts.hint;
  }
}

/** Several problems found in one pass (e.g. every schema error of a file), reported together. */
export class BerthErrors extends BerthError {
  readonly errors: BerthError[];
  constructor(errors: BerthError[]) {
    // flat, so each problem keeps its own file:line (an included file's errors arrive as one BerthErrors)
    const flat = errors.flatMap((e) => (e instanceof BerthErrors ? e.errors : [e]));
    super(flat.map((e) => e.message).join('\n'), { exitCode: flat[0]?.exitCode ?? ExitCode.BadInput });
    this.errors = flat;
  }
}

export const badInput = (
  message: string,
  opts: Omit<ConstructorParameters<typeof BerthError>[1], 'exitCode'> = {},
) => new BerthError(message, { ...opts, exitCode: ExitCode.BadInput });

export const engineUnreachable = (detail: string) =>
  new BerthError(`cannot reach the Docker engine (${detail})`, {
    exitCode: ExitCode.EngineUnreachable,
    hint: 'start it: `npm run engine` in the berth checkout on Linux, or start Docker Desktop; DOCKER_HOST selects another engine',
  });
