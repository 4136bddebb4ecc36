import { EngineError } from '../engine/errors.js';
import { BerthError, BerthErrors, ExitCode } from '../errors.js';

/** Render any thrown value as one screen for the user and return the exit code; never a stack trace. */
export function reportError(
  err: unknown,
  write: (s: string) => void = (s) => process.stderr.write(s),
): number {
  if (err instanceof BerthErrors) {
    for (const e of err.errors) write(formatOne(e));
    return err.exitCode;
  }
  if (err instanceof BerthError) {
    write(formatOne(err));
    return err.exitCode;
  }
  // An engine failure no operation turned into a message of its own: the engine's words, not "internal error".
  if (err instanceof EngineError) {
    const lost = err.kind === 'unreachable' || err.kind === 'timeout';
    write(
      lost
        ? `berth: cannot reach the Docker engine (${err.engineMessage})\n  hint: is it running? DOCKER_HOST or DOCKER_CONTEXT selects another; BERTH_ENGINE_TIMEOUT (seconds) sets how long berth waits\n`
        : `berth: the engine refused or failed a request: ${err.engineMessage}\n  hint: run the command again; if it fails the same way, the engine's log says more\n`,
    );
    return lost ? ExitCode.EngineUnreachable : ExitCode.StackFailure;
  }
  const e = err as { code?: string; message?: string; stack?: string };
  if (
    e &&
    (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') &&
    /docker\.sock|connect/.test(String(e.message))
  ) {
    write(
      'berth: cannot reach the Docker engine\n  hint: start it with `npm run engine` (Linux) or Docker Desktop\n',
    );
    return ExitCode.EngineUnreachable;
  }
  write(`berth: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.BERTH_DEBUG && e?.stack) write(`${e.stack}\n`);
  return ExitCode.StackFailure;
}

function formatOne(e: BerthError): string {
  const where = e.pos ? `${e.pos.file}:${e.pos.line}:${e.pos.col}: ` : '';
  let out = `berth: ${where}${e.message}\n`;
  if (e.frame) out += `${e.frame.replace(/\n?$/, '\n')}`;
  if (e.hint) out += `  hint: ${e.hint}\n`;
  return out;
}
