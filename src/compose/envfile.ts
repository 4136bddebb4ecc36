// .env files as Compose reads them (compose-go's dotenv): KEY=VALUE lines, optional `export`, # comments,
// single quotes literal, double quotes with escapes and interpolation, unquoted values trimmed and cut at ` #`.
import { type BerthError, badInput } from '../errors.js';
import { FileReadError, readBounded } from './bounded-read.js';
import { InterpolationError, interpolate, type Lookup } from './interpolate.js';
import { codeFrame, type Path } from './source.js';

export function parseEnvFile(
  text: string,
  shown: string,
  outer: Lookup = () => undefined,
): Record<string, string> {
  const vars: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  const lookup: Lookup = (k) => outer(k) ?? (Object.hasOwn(vars, k) ? vars[k] : undefined);
  const fail = (n: number, msg: string, hint?: string): BerthError =>
    badInput(msg, { pos: { file: shown, line: n + 1, col: 1 }, frame: codeFrame(lines, n + 1, 1), hint });
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.replace(/^\uFEFF/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)\s*(=|:)?\s*(.*)$/.exec(line);
    if (!m) throw fail(n, `not a KEY=VALUE line: ${JSON.stringify(line)}`, 'each line is KEY=VALUE');
    const key = m[1]!;
    if (!m[2]) {
      // A bare KEY takes its value from the environment, as with `docker run --env-file`.
      const v = outer(key);
      if (v !== undefined) vars[key] = v;
      continue;
    }
    let raw = m[3]!;
    const q = raw[0];
    if (q === "'" || q === '"') {
      // quoted values may span lines
      let body = raw.slice(1);
      let close = findClose(body, q);
      while (close < 0 && n + 1 < lines.length) {
        n++;
        body += `\n${lines[n]}`;
        close = findClose(body, q);
      }
      if (close < 0)
        throw fail(n, `unterminated ${q === '"' ? 'double' : 'single'} quote in the value of ${key}`);
      const inner = body.slice(0, close);
      if (q === "'") vars[key] = inner;
      else {
        const unescaped = inner.replace(/\\([nrt"\\$])/g, (_, c: string) =>
          c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c === '$' ? '$$' : c,
        );
        vars[key] = interp(unescaped, lookup, n, key, fail);
      }
      continue;
    }
    const hash = raw.search(/\s#/);
    if (hash >= 0) raw = raw.slice(0, hash);
    vars[key] = interp(raw.trim(), lookup, n, key, fail);
  }
  return vars;
}

function findClose(body: string, q: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && q === '"') {
      i++;
      continue;
    }
    if (body[i] === q) return i;
  }
  return -1;
}

function interp(
  value: string,
  lookup: Lookup,
  n: number,
  key: string,
  fail: (n: number, msg: string, hint?: string) => BerthError,
): string {
  try {
    return interpolate(value, lookup, () => {});
  } catch (e) {
    if (e instanceof InterpolationError) throw fail(n, `${key}: ${e.message}`, e.hint);
    throw e;
  }
}

/**
 * `env_file: { format: raw }`: docker run --env-file's reading (Compose's `raw` format). `KEY=VALUE` lines
 * are taken literally: no quotes removed, no escapes, no interpolation, no inline comments; a bare `KEY` takes
 * its value from the environment. Blank lines and `#` lines are skipped.
 */
export function parseRawEnvFile(
  text: string,
  shown: string,
  outer: Lookup = () => undefined,
): Record<string, string> {
  const vars: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, n) => {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trimStart();
    if (key === '' || /\s/.test(key)) {
      throw badInput(
        key === '' ? 'a line without a variable name' : `variable name ${JSON.stringify(key)} has spaces`,
        {
          pos: { file: shown, line: n + 1, col: 1 },
          frame: codeFrame(lines, n + 1, 1),
          hint: 'each line is KEY=VALUE',
        },
      );
    }
    if (eq >= 0) vars[key] = line.slice(eq + 1);
    else {
      const v = outer(key);
      if (v !== undefined) vars[key] = v;
    }
  });
  return vars;
}

export interface EnvFileContext {
  resolve: (p: string) => string;
  show: (abs: string) => string;
  lookup: Lookup;
  err: (p: Path, msg: string, hint?: string) => void;
}

/**
 * The variables of a service's `env_file` entries, later files winning. A missing file is an error unless it
 * is `required: false`; `format: raw` reads values literally.
 */
export function envFileVars(raw: unknown, at: Path, ctx: EnvFileContext): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  entries.forEach((entry, i) => {
    const e: Record<string, unknown> =
      entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : { path: entry };
    const p = Array.isArray(raw) ? [...at, i] : at;
    const file = ctx.resolve(String(e.path));
    const required =
      e.required === undefined || e.required === true || /^(true|yes|on|1)$/i.test(String(e.required));
    const format = e.format === undefined || e.format === null ? undefined : String(e.format);
    if (format !== undefined && format !== 'raw') {
      ctx.err(
        [...p, 'format'],
        `unknown env_file format ${JSON.stringify(format)}`,
        'leave `format` out, or use `raw`',
      );
      return;
    }
    let text: string;
    try {
      text = readBounded(file, ctx.show(file), 'env file');
    } catch (e) {
      // `required: false` excuses a missing file, not a device or a 2 GB log
      const missing = e instanceof FileReadError && e.reason === 'missing';
      if (required || !missing) {
        ctx.err(
          p,
          (e as Error).message,
          missing
            ? 'create it, fix the path, or mark it `required: false` (long syntax)'
            : (e as FileReadError).hint,
        );
      }
      return;
    }
    // Later files may use what earlier ones set, after the shell and .env (compose-go's lookup order).
    const lookup: Lookup = (k) => ctx.lookup(k) ?? (Object.hasOwn(out, k) ? out[k] : undefined);
    try {
      Object.assign(
        out,
        format === 'raw'
          ? parseRawEnvFile(text, ctx.show(file), lookup)
          : parseEnvFile(text, ctx.show(file), lookup),
      );
    } catch (err) {
      ctx.err(p, (err as Error).message);
    }
  });
  return out;
}
