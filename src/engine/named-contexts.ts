// `build.additional_contexts` on an engine whose builder has no named contexts (Docker 20.10's /build API passes
// none to BuildKit, the classic builder and Podman never had them): berth makes each context an image and
// rewrites the Dockerfile it sends so every reference to the context's name names that image instead. Pure: the
// Dockerfile text and the images in, the rewritten text out.
//
// Which references BuildKit resolves to a named context (dockerfile2llb, BuildKit 0.10+), and so which this
// rewrites:
// - `FROM NAME` whose base is not an earlier stage (after expanding the global ARGs): the base, normalized as an
//   image reference (`docker.io/library/x:latest` is `x`), is looked up among the contexts;
// - `COPY --from=NAME` and `RUN --mount=…,from=NAME` when NAME is no stage of the file (stages are looked up by
//   lower-cased name anywhere in the file, before and after) and not a stage index;
// - a stage named like a context (`FROM x AS NAME`) is replaced by the context as a whole ("When Dockerfile
//   defines a stage with the same name it's overwritten"): its FROM names the context's image and its other
//   instructions are commented out, so references to the stage reach the context.
// `scratch` and `context` are never named contexts. Lines keep their numbers (a replacement stays on its line;
// only a reference split by a line continuation moves the joined instruction onto its first line), so the
// builder's errors point at the user's lines.

/** How berth serves one named context. */
export type ContextSource =
  | { kind: 'image'; ref: string }
  | { kind: 'service'; service: string }
  | { kind: 'path'; dir: string }
  | { kind: 'unsupported'; why: string };

/** What a value of `additional_contexts` is (the loader made local paths absolute). */
export function classifyContext(value: string): ContextSource {
  if (value.startsWith('docker-image://')) {
    const ref = value.slice('docker-image://'.length);
    return ref ? { kind: 'image', ref } : { kind: 'unsupported', why: '`docker-image://` names no image' };
  }
  if (value.startsWith('service:')) return { kind: 'service', service: value.slice('service:'.length) };
  if (value.startsWith('oci-layout://'))
    return {
      kind: 'unsupported',
      why: 'an OCI layout context needs BuildKit with its own API (the engine has no way to read an OCI layout folder during a build)',
    };
  if (value.startsWith('target:'))
    return {
      kind: 'unsupported',
      why: "`target:` contexts are Bake's, not Compose's; use `service:NAME` for another service's image",
    };
  if (/^(https?:\/\/|git@|git:\/\/|github\.com\/|ssh:\/\/)/.test(value))
    return {
      kind: 'unsupported',
      why: 'a remote (git or URL) context needs BuildKit with its own API; berth serves named contexts as images made from local folders or images',
    };
  return { kind: 'path', dir: value };
}

/** A name as BuildKit compares it with context names: an image reference in its familiar form, without `:latest`. */
export function familiarName(ref: string): string {
  let r = ref;
  for (const registry of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) {
    if (r.startsWith(registry)) {
      r = r.slice(registry.length);
      if (!r.includes('/')) return r; // `docker.io/x` is not a valid reference; leave it as it is
      break;
    }
  }
  if (r.startsWith('library/') && r.split('/').length === 2) r = r.slice('library/'.length);
  if (r.endsWith(':latest') && !r.includes('@')) r = r.slice(0, -':latest'.length);
  return r;
}

const RESERVED = new Set(['scratch', 'context']);

interface Instruction {
  keyword: string;
  /** Physical lines of the instruction: first .. last (continuations, and comments between them). */
  first: number;
  last: number;
  /** Last line including heredoc bodies. */
  end: number;
  /** The logical line, continuations joined, and each of its characters' place on the physical lines. */
  text: string;
  where: Array<{ line: number; col: number }>;
}

interface Edit {
  /** Span of the logical text replaced. */
  from: number;
  to: number;
  with: string;
}

/** A Dockerfile split into instructions as BuildKit's parser reads it (directives, continuations, comments, heredocs). */
function instructions(lines: string[]): Instruction[] {
  let escapeChar = '\\';
  for (const line of lines) {
    const m = /^\s*#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S+)\s*$/.exec(line);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escapeChar = m[2];
  }
  const continued = new RegExp(`${escapeChar === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const skip = (line: string) => /^\s*(#|$)/.test(line);
  const out: Instruction[] = [];
  let l = 0;
  while (l < lines.length) {
    if (skip(lines[l]!)) {
      l++;
      continue;
    }
    const first = l;
    let text = '';
    const where: Instruction['where'] = [];
    let cur = l;
    for (;;) {
      const line = lines[cur]!;
      const m = continued.exec(line);
      const stop = m ? m.index : line.length;
      for (let c = 0; c < stop; c++) where.push({ line: cur, col: c });
      text += line.slice(0, stop);
      if (!m) break;
      cur++;
      // comment and empty lines inside a continuation are dropped, as BuildKit's parser does
      while (cur < lines.length && skip(lines[cur]!)) cur++;
      if (cur >= lines.length) {
        cur = lines.length - 1;
        break;
      }
    }
    const keyword = (/^\s*(\S+)/.exec(text)?.[1] ?? '').toUpperCase();
    let end = cur;
    if (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') {
      // heredoc bodies are not instructions: skip to each terminator in turn
      for (const h of text.matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2/g)) {
        const word = h[3]!;
        const strip = h[1] === '-';
        while (end + 1 < lines.length) {
          end++;
          const body = strip ? lines[end]!.replace(/^\t+/, '') : lines[end]!;
          if (body === word) break;
        }
      }
    }
    out.push({ keyword, first, last: cur, end, text, where });
    l = end + 1;
  }
  return out;
}

/** Whitespace-separated words of a logical line, with their spans. */
function words(text: string): Array<{ word: string; from: number; to: number }> {
  const out: Array<{ word: string; from: number; to: number }> = [];
  for (const m of text.matchAll(/\S+/g)) out.push({ word: m[0], from: m.index!, to: m.index! + m[0].length });
  return out;
}

/** The leading `--flag[=value]` words after the keyword. */
function flags(ws: ReturnType<typeof words>): ReturnType<typeof words> {
  const out: ReturnType<typeof words> = [];
  for (const w of ws.slice(1)) {
    if (!w.word.startsWith('--')) break;
    out.push(w);
  }
  return out;
}

/** `$A`, `${A}`, `${A:-x}`, `${A-x}`, `${A:+x}`, `${A+x}` with the global ARGs: enough for a FROM's base. */
function expand(word: string, vars: Map<string, string | undefined>): string {
  return word.replace(
    /\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+])([^}]*))?\})/g,
    (_m, plain: string | undefined, name: string | undefined, colon: string, op: string, arg: string) => {
      const v = vars.get((plain ?? name)!);
      if (!op) return v ?? '';
      const set = colon ? v !== undefined && v !== '' : v !== undefined;
      if (op === '-') return set ? v! : arg;
      return set ? arg : '';
    },
  );
}

/** Strips one pair of matching quotes around a flag value, returning the inner span. */
function unquote(value: string, from: number): { value: string; from: number } {
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q))
    return { value: value.slice(1, -1), from: from + 1 };
  return { value, from };
}

export interface RewriteResult {
  text: string;
  /** Names of the contexts the Dockerfile uses (only these need an image). */
  used: string[];
}

/**
 * Rewrite a Dockerfile so each reference to a named context names the context's image. `images`: context
 * name → image reference; `buildArgs`: the build's args, which override the defaults of the global ARGs a
 * FROM may use.
 */
export function rewriteDockerfile(
  dockerfile: string,
  images: Record<string, string>,
  buildArgs: Record<string, string> = {},
): RewriteResult {
  const raw = dockerfile.split('\n');
  const cr = raw.map((l) => l.endsWith('\r'));
  const lines = raw.map((l, i) => (cr[i] ? l.slice(0, -1) : l));
  const all = instructions(lines);
  const contexts = new Map(Object.entries(images).filter(([name]) => !RESERVED.has(name)));
  const lookup = (ref: string): string | undefined => {
    const name = familiarName(ref);
    return contexts.has(name) ? name : undefined;
  };
  const used = new Set<string>();

  // every stage name in the file, for --from and mount from= (BuildKit resolves them after reading all stages)
  const stageNames = new Set<string>();
  for (const ins of all) {
    if (ins.keyword !== 'FROM') continue;
    const ws = words(ins.text);
    const rest = ws.slice(1 + flags(ws).length);
    if (rest.length >= 3 && rest[1]!.word.toLowerCase() === 'as') stageNames.add(rest[2]!.word.toLowerCase());
  }

  const globals = new Map<string, string | undefined>();
  const earlier = new Set<string>();
  const edits = new Map<Instruction, Edit[]>();
  const dropped: Instruction[] = [];
  let seenFrom = false;
  let replacedStage = false;
  const edit = (ins: Instruction, e: Edit) => {
    const list = edits.get(ins) ?? [];
    list.push(e);
    edits.set(ins, list);
  };

  for (const ins of all) {
    const ws = words(ins.text);
    if (ins.keyword === 'FROM') {
      seenFrom = true;
      replacedStage = false;
      const fl = flags(ws);
      const rest = ws.slice(1 + fl.length);
      const base = rest[0];
      const stage = rest.length >= 3 && rest[1]!.word.toLowerCase() === 'as' ? rest[2]!.word : undefined;
      if (base) {
        const stageContext =
          stage !== undefined && !RESERVED.has(stage.toLowerCase()) ? lookup(stage.toLowerCase()) : undefined;
        if (stageContext !== undefined) {
          // the stage is overwritten by the context: its base becomes the context, its instructions go
          used.add(stageContext);
          edit(ins, { from: base.from, to: base.to, with: images[stageContext]! });
          replacedStage = true;
        } else {
          const name = base.word.includes('$') ? expand(base.word, globals) : base.word;
          if (!earlier.has(name) && !RESERVED.has(name.toLowerCase())) {
            const ctx = lookup(name);
            if (ctx !== undefined) {
              used.add(ctx);
              edit(ins, { from: base.from, to: base.to, with: images[ctx]! });
            }
          }
        }
      }
      if (stage !== undefined) earlier.add(stage.toLowerCase());
      continue;
    }
    if (replacedStage) {
      dropped.push(ins);
      continue;
    }
    if (ins.keyword === 'ARG' && !seenFrom) {
      for (const w of ws.slice(1)) {
        const eq = w.word.indexOf('=');
        const key = eq < 0 ? w.word : w.word.slice(0, eq);
        const def = eq < 0 ? undefined : unquote(w.word.slice(eq + 1), 0).value;
        globals.set(key, Object.hasOwn(buildArgs, key) ? buildArgs[key] : def);
      }
      continue;
    }
    const fromRef = (value: string, at: number) => {
      const v = unquote(value, at);
      if (v.value === '' || v.value.includes('$') || /^\d+$/.test(v.value)) return;
      if (stageNames.has(v.value.toLowerCase()) || RESERVED.has(v.value.toLowerCase())) return;
      const ctx = lookup(v.value);
      if (ctx === undefined) return;
      used.add(ctx);
      edit(ins, { from: v.from, to: v.from + v.value.length, with: images[ctx]! });
    };
    if (ins.keyword === 'COPY') {
      for (const f of flags(ws)) {
        const m = /^--from=/i.exec(f.word);
        if (m) fromRef(f.word.slice(m[0].length), f.from + m[0].length);
      }
    } else if (ins.keyword === 'RUN') {
      for (const f of flags(ws)) {
        const m = /^--mount=/i.exec(f.word);
        if (!m) continue;
        let at = f.from + m[0].length;
        const spec = unquote(f.word.slice(m[0].length), at);
        at = spec.from;
        for (const field of spec.value.split(',')) {
          const kv = /^from=/i.exec(field);
          if (kv) fromRef(field.slice(kv[0].length), at + kv[0].length);
          at += field.length + 1;
        }
      }
    }
  }

  const out = [...lines];
  for (const [ins, list] of edits) {
    list.sort((a, b) => b.from - a.from);
    const oneLine = list.every((e) => ins.where[e.from]!.line === ins.where[e.to - 1]!.line);
    if (oneLine) {
      for (const e of list) {
        const { line, col } = ins.where[e.from]!;
        const endCol = ins.where[e.to - 1]!.col + 1;
        out[line] = out[line]!.slice(0, col) + e.with + out[line]!.slice(endCol);
      }
    } else {
      // a reference split by a continuation: the whole instruction moves onto its first line
      let text = ins.text;
      for (const e of list) text = text.slice(0, e.from) + e.with + text.slice(e.to);
      out[ins.first] = text;
      for (let l = ins.first + 1; l <= ins.last; l++) out[l] = `#${out[l]}`;
    }
  }
  for (const ins of dropped) for (let l = ins.first; l <= ins.end; l++) out[l] = `#${out[l]}`;
  return {
    text: out.map((l, i) => (cr[i] ? `${l}\r` : l)).join('\n'),
    used: [...used].sort(),
  };
}
