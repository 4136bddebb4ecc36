// Compose variable interpolation (compose-go's template package): ${VAR}, $VAR, ${VAR:-d}, ${VAR-d},
// ${VAR:?msg}, ${VAR?msg}, ${VAR:+r}, ${VAR+r}, and $$ for a literal $. Defaults may themselves contain
// interpolations. A `$` followed by anything else (`$(date)`, `$5`, `a $ b`, `^re$`) is left as written, as
// compose-go does; only a `${` that does not form a valid expression is an error.

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const START = /[A-Za-z_]/;

/**
 * Interpolate one string. `onUnset` is called for a variable that is used (outside a default that is not
 * taken) without a value; it becomes empty, as in Compose. Throws InterpolationError for a required variable
 * or a malformed `${…}`.
 */
export function interpolate(
  input: string,
  lookup: Lookup,
  onUnset: (name: string) => void,
  depth = 0,
): string {
  if (!input.includes('$')) return input;
  // defaults nest by recursion: far more levels than anyone writes, far fewer than the call stack holds
  if (depth > 64)
    throw new InterpolationError('interpolation nested more than 64 levels deep', 'flatten the defaults');
  let out = '';
  let i = 0;
  while (i < input.length) {
    const d = input.indexOf('$', i);
    if (d < 0) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, d);
    const next = input[d + 1];
    if (next === '$') {
      out += '$';
      i = d + 2;
    } else if (next === '{') {
      const close = closingBrace(input, d + 1);
      if (close < 0) throw invalid(input);
      out += braced(input.slice(d + 2, close), input, lookup, onUnset, depth);
      i = close + 1;
    } else if (next !== undefined && START.test(next)) {
      const name = NAME.exec(input.slice(d + 1))![0];
      out += resolve(name, lookup, onUnset);
      i = d + 1 + name.length;
    } else {
      out += '$';
      i = d + 1;
    }
  }
  return out;
}

/**
 * The `}` that ends the expression opened at `open`: braces inside a default (`${J:-{"a":1}}`) are counted,
 * as compose-go does. Without a balanced one, the last `}` of the string (compose-go's greedy match).
 */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  const last = s.lastIndexOf('}');
  return last > open ? last : -1;
}

/** The inside of `${…}`. The default, alternative or message is interpolated only when it is used. */
function braced(
  body: string,
  whole: string,
  lookup: Lookup,
  onUnset: (name: string) => void,
  depth: number,
): string {
  const m = NAME.exec(body);
  if (!m) throw invalid(whole);
  const name = m[0];
  if (body.length === name.length) return resolve(name, lookup, onUnset);
  const rest = body.slice(name.length);
  const op = /^:?[-?+]/.exec(rest)?.[0];
  if (!op) throw invalid(whole);
  const arg = () => interpolate(rest.slice(op.length), lookup, onUnset, depth + 1);
  const value = lookup(name);
  const unset = value === undefined;
  const empty = unset || value === '';
  switch (op) {
    case ':-':
      return empty ? arg() : value!;
    case '-':
      return unset ? arg() : value!;
    case ':?':
      if (empty) throw required(name, arg(), true);
      return value!;
    case '?':
      if (unset) throw required(name, arg(), false);
      return value!;
    case ':+':
      return empty ? '' : arg();
    default:
      return unset ? '' : arg();
  }
}

function resolve(name: string, lookup: Lookup, onUnset: (name: string) => void): string {
  const v = lookup(name);
  if (v === undefined) {
    onUnset(name);
    return '';
  }
  return v;
}

function invalid(s: string): InterpolationError {
  return new InterpolationError(
    `invalid interpolation in ${JSON.stringify(s)}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows the syntax itself
    'write ${VAR}, ${VAR:-default} or $VAR; write $$ for a literal $',
  );
}

function required(name: string, message: string, orEmpty: boolean): InterpolationError {
  return new InterpolationError(
    `required variable ${name} is ${orEmpty ? 'unset or empty' : 'unset'}${message ? `: ${message}` : ''}`,
    `set ${name} in the shell environment or in the .env file next to the stack file`,
  );
}
