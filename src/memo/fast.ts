// The first thing every berth call runs (bin/berth.js, built to dist/fast.cjs): answer from a memo when one holds,
// before the CLI and its modules are loaded. Node's own start-up is most of a small call; loading berth's code
// and reading the stack again was the rest (0.23 CPU-s for `config -q` of 60 services, 0.33 for a no-op `up
// -d`). A memo holds while the key (argv, cwd, environment, build, terminal) is the same, every journalled file
// has its stamp, and, for `up`, the engine gives the same look. Anything else, any doubt or error: the full path.
import { writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { toImage, toNetwork, toObservedContainer, toVolume } from '../engine/listed.js';
import { engineTimeoutMs, seg } from '../engine/light.js';
import { stampOf } from '../inputs/journal.js';
import { splitLook } from '../ops/look.js';
import { lookFacts } from './facts.js';
import { memoKey, terminalOf } from './key.js';
import { type EngineCheck, type Memo, readMemo } from './store.js';

declare const __BERTH_BUILD__: string | undefined;
/** Set by scripts/build.mjs for each build: a memo of another build is never read. */
const BUILD = typeof __BERTH_BUILD__ === 'string' ? __BERTH_BUILD__ : 'dev';

export interface FastAnswer {
  answered: boolean;
  /** The call's memo key, for the full path to write the memo under (none when memos are off). */
  key?: string;
}

export async function answerFromMemo(argv: readonly string[]): Promise<FastAnswer> {
  // BERTH_NO_MEMO: every call the full way (the parse cache stays on); BERTH_NO_CACHE: no cache of any kind
  if (process.env.BERTH_NO_CACHE || process.env.BERTH_NO_MEMO) return { answered: false };
  const key = memoKey({
    args: argv.slice(2),
    cwd: process.cwd(),
    env: process.env,
    build: BUILD,
    uid: process.getuid?.() ?? -1,
    terminal: terminalOf(),
  });
  const memo = readMemo(key);
  const why = memo ? await invalid(memo) : 'no memo';
  if (process.env.BERTH_MEMO_TRACE) process.stderr.write(`berth: memo ${why ? `miss (${why})` : 'hit'}\n`);
  if (!memo || why) return { answered: false, key };
  for (const [fd, text] of memo.out) put(fd, text);
  return { answered: true, key };
}

/**
 * Straight to the file descriptor: process.stdout would build a stream first. A descriptor left non-blocking
 * by whoever made it can refuse a write (EAGAIN); the stream, which waits, writes the rest.
 */
function put(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch {
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(done));
  }
}

async function invalid(memo: Memo): Promise<string | undefined> {
  for (const [file, stamp] of memo.inputs) if (stampOf(file) !== stamp) return `${file} changed`;
  if (!memo.engine) return undefined;
  try {
    return (await engineFacts(memo.engine)) === memo.engine.facts ? undefined : 'the engine changed';
  } catch (err) {
    return `engine: ${(err as Error).message}`;
  }
}

/** The look `up` takes (ops/owners.ts lookAtEngine, the images' inspects), from the same requests. */
async function engineFacts(check: EngineCheck): Promise<string> {
  const all = encodeURIComponent('{}');
  const open = new Set<Socket>();
  const ms = engineTimeoutMs();
  // one deadline for the four or so requests (a timer per socket costs more than the check's own work)
  const deadline = setTimeout(() => {
    for (const s of open) s.destroy(new Error(`no answer within ${ms / 1000} s`));
  }, ms);
  try {
    const get = (path: string, missingOk = false) => getJson(check.socket, path, open, missingOk);
    const [cs, ns, vs, ...images] = await Promise.all([
      get(`/containers/json?all=true&filters=${all}`),
      get(`/networks?filters=${all}`),
      get(`/volumes?filters=${all}`),
      ...check.refs.map((r) => get(`/images/${seg(r)}/json`, true)),
    ]);
    const look = splitLook(
      check.project,
      (cs as never[]).map(toObservedContainer),
      (ns as never[]).map(toNetwork),
      ((vs as { Volumes?: never[] | null }).Volumes ?? []).map(toVolume),
    );
    return lookFacts(
      look,
      check.claimed,
      check.refs.map((r, i) => [r, images[i] === undefined ? undefined : toImage(images[i] as never)]),
    );
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * One GET to a Docker engine (not Podman: its lists need more calls, see docker-engine.ts) on a unix socket, in
 * HTTP/1.0 on a bare socket: the engine answers with the whole body and closes, and node's http client would
 * cost more to load than these calls take.
 */
function getJson(socket: string, path: string, open: Set<Socket>, missingOk: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    open.add(conn);
    conn.on('close', () => open.delete(conn));
    const chunks: Buffer[] = [];
    conn.on('connect', () => conn.end(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`));
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', reject);
    conn.on('end', () => {
      const all = Buffer.concat(chunks);
      const at = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, Math.max(at, 0)).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
      const header = (name: string) =>
        head
          .find((l) => l.toLowerCase().startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim() ?? '';
      if (at < 0 || !/^Docker\//.test(header('server'))) return reject(new Error('not a Docker engine'));
      if (header('transfer-encoding')) return reject(new Error('unexpected chunked answer'));
      if (missingOk && status === 404) return resolve(undefined);
      if (status !== 200) return reject(new Error(`${path}: HTTP ${status}`));
      try {
        resolve(JSON.parse(all.subarray(at + 4).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
  });
}
