// Per-service jobs (build, pull) with a bound, SIGINT abort and every failure collected, not just the first.
// One engine job per service (a build, a pull), a few at a time: Ctrl-C aborts them all, and a failure does
// not stop the others, so the user sees every service that failed at once.
import { runAbortController } from '../abort.js';
import { type BerthError, BerthErrors } from '../errors.js';

/**
 * Run `job` for each item, `concurrency` at once, with a signal that SIGINT aborts. Returns the failures, in
 * the order they happened; `failure` turns an error a job threw into the one to report.
 */
export async function eachService<T>(
  items: readonly T[],
  concurrency: number,
  job: (item: T, signal: AbortSignal) => Promise<void>,
  failure: (item: T, err: unknown) => BerthError,
): Promise<BerthError[]> {
  const { default: PQueue } = await import('p-queue');
  const queue = new PQueue({ concurrency });
  const failures: BerthError[] = [];
  const ac = runAbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    await Promise.all(
      items.map((item) =>
        queue.add(async () => {
          try {
            await job(item, ac.signal);
          } catch (err) {
            failures.push(failure(item, err));
          }
        }),
      ),
    );
  } finally {
    process.removeListener('SIGINT', onSig);
  }
  return failures;
}

/** Throw the failures: one as itself, several together. */
export function throwFailures(failures: BerthError[]): void {
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new BerthErrors(failures);
}
