// Compose variable interpolation: ${VAR}, $VAR, ${VAR:-d}, ${VAR-d}, ${VAR:?msg}, ${VAR?msg}, ${VAR:+r},
// ${VAR+r}, and $$ for a literal $. Defaults may themselves contain interpolations, as in compose-go.

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

/**
 * Interpolate one string. `onUnset` is called for a variable used without a default and not set (it becomes
 * empty, as in Compose). Throws InterpolationError for a required variable or a malformed template.
 */
export function interpolate(input: string, lookup: Lookup, onUnset: (name: string) => void): string {
  if (!input.includes('$')) return input;
  const [out] = parse(input, 0, lookup, onUnset, false);
  return out;
}

/** Parses from `i`; when `inBraces`, stops at the matching `}` and returns its index. */
function parse(
  s: string,
  start: number,
  lookup: Lookup,
  onUnset: (name: string) => void,
  inBraces: boolean,
): [string, number] {
  let out = '';
  let i = start;
  while (i < s.length) {
    const c = s[i]!;
    if (inBraces && c === '}') return [out, i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const m = NAME.exec(s.slice(i + 2));
      if (!m) throw invalid(s);
      const name = m[0];
      let j = i + 2 + name.length;
      if (s[j] === '}') {
        out += resolve(name, lookup, onUnset);
        i = j + 1;
        continue;
      }
      let op = '';
      if (s[j] === ':' && '-?+'.includes(s[j + 1] ?? '')) {
        op = s.slice(j, j + 2);
        j += 2;
      } else if ('-?+'.includes(s[j] ?? '')) {
        op = s[j]!;
        j += 1;
      } else throw invalid(s);
      const value = lookup(name);
      const [arg, end] = parse(s, j, lookup, () => {}, true);
      if (s[end] !== '}') throw invalid(s);
      i = end + 1;
      const unset = value === undefined;
      const empty = unset || value === '';
      switch (op) {
        case ':-':
          out += empty ? arg : value!;
          break;
        case '-':
          out += unset ? arg : value!;
          break;
        case ':?':
          if (empty) throw required(name, arg, true);
          out += value!;
          break;
        case '?':
          if (unset) throw required(name, arg, false);
          out += value!;
          break;
        case ':+':
          out += empty ? '' : arg;
          break;
        case '+':
          out += unset ? '' : arg;
          break;
      }
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (!m) throw invalid(s);
    out += resolve(m[0], lookup, onUnset);
    i += 1 + m[0].length;
  }
  if (inBraces) throw invalid(s);
  return [out, i];
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
