import type { LogSink } from './follow.js';
import { type FormatOptions, LineFormatter } from './format.js';
import type { LogLine, LogTarget } from './types.js';

/**
 * A sink writing formatted lines to a byte stream (stdout). Each batch becomes one write, which is what makes
 * the feed fast; `write()` returning false pauses the feed until the stream drains, so a slow reader (a pipe
 * into `less`) holds the engine back instead of filling berth's memory.
 */
export function streamSink(
  out: NodeJS.WritableStream,
  format: FormatOptions,
  stackServices: string[] = [],
): LogSink & { formatter: LineFormatter } {
  const formatter = new LineFormatter(format);
  formatter.learn([], stackServices);
  let waiting: Promise<void> | undefined;
  return {
    formatter,
    targets(targets: LogTarget[]) {
      formatter.learn(targets, stackServices);
    },
    write(lines: LogLine[]) {
      return out.write(formatter.formatAll(lines));
    },
    drain() {
      waiting ??= new Promise<void>((resolve) => {
        const done = () => {
          out.removeListener('drain', done);
          out.removeListener('close', done);
          waiting = undefined;
          resolve();
        };
        out.once('drain', done);
        out.once('close', done);
      });
      return waiting;
    },
  };
}
