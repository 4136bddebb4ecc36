// The held-out load check: Compose files berth's other tests never use, each loaded and planned in process
// exactly as `berth config -q` and the start of `berth up` do (loader → graph → planner against an empty
// engine). A file either loads and plans, or fails with a BerthError of exit code 2 that names a file:line;
// anything else (another exception, exit code, no position) is a crash.
//   npm run compat:heldout [-- DIR...]    (default: test/heldout) prints one line per file and the totals
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadStack } from '../../src/compose/index.js';
import { BerthError, BerthErrors } from '../../src/errors.js';
import { buildGraph, startOrder } from '../../src/graph/index.js';
import { planUp } from '../../src/plan/index.js';

export interface Case {
  /** the file this case is named by, relative to the held-out root */
  name: string;
  /** folder the stack is loaded from (the project directory, as `cd DIR && berth config -q`) */
  cwd: string;
  /** -f files; empty: Compose's discovery (picks up compose.override.yaml too) */
  files: string[];
  env: Record<string, string>;
}

export interface Outcome {
  case: Case;
  ok: boolean;
  services?: number;
  /** for a failure: the first error, with where it points */
  message?: string;
  where?: string;
  exitCode?: number;
  /** not a BerthError with exit code 2 and a position */
  crash?: string;
}

/**
 * cases.json beside SOURCES.tsv says how a file is used when it is not a stack on its own: `overlay` files are
 * loaded over their base (as Compose's own tests use them), `skip` files are data (env files, included parts
 * loaded through another case), `env` gives the variables the project's own tests set for a file.
 */
interface CaseSpec {
  files?: string[];
  discover?: boolean;
  env?: Record<string, string>;
  skip?: string;
}

const isStackFile = (f: string) => /\.ya?ml$/.test(f);

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (isStackFile(e.name)) out.push(p);
  }
  return out;
}

/** Every case under ROOT: each YAML file of each collection (a folder with SOURCES.tsv), as cases.json says. */
export function collectCases(root: string): Case[] {
  const cases: Case[] = [];
  for (const coll of readdirSync(root).sort()) {
    const dir = path.join(root, coll);
    if (!statSync(dir).isDirectory()) continue;
    const specFile = path.join(dir, 'cases.json');
    const specs: Record<string, CaseSpec> = existsSync(specFile)
      ? JSON.parse(readFileSync(specFile, 'utf8'))
      : {};
    for (const abs of walk(dir).sort()) {
      const rel = path.relative(dir, abs);
      const spec = specs[rel] ?? {};
      if (spec.skip) continue;
      const cwd = path.dirname(abs);
      cases.push({
        name: `${coll}/${rel}`,
        cwd,
        files: spec.discover ? [] : (spec.files ?? [path.basename(abs)]),
        env: spec.env ?? {},
      });
    }
  }
  return cases;
}

/** The variables of a clean shell: the machine's own environment must not change what a file means. */
const baseEnv = { HOME: '/home/user', PATH: '/usr/bin:/bin' };

export function runCase(c: Case): Outcome {
  try {
    const stack = loadStack({
      files: c.files,
      cwd: c.cwd,
      projectName: 'heldout',
      profiles: [],
      envFiles: [],
      env: { ...baseEnv, ...c.env },
    });
    startOrder(buildGraph(stack));
    const plan = planUp(
      stack,
      { project: 'heldout', containers: [], networks: [], volumes: [] },
      { imageIds: Object.fromEntries(Object.keys(stack.services).map((s) => [s, `sha256:${s}`])) },
    );
    if (!plan) throw new Error('no plan');
    return { case: c, ok: true, services: Object.keys(stack.services).length };
  } catch (err) {
    if (!(err instanceof BerthError))
      return { case: c, ok: false, crash: String((err as Error)?.stack ?? err) };
    const first = err instanceof BerthErrors ? (err.errors[0] ?? err) : err;
    const pos = first.pos;
    const out: Outcome = {
      case: c,
      ok: false,
      message: first.message,
      exitCode: err.exitCode,
      where: pos ? `${path.basename(pos.file)}:${pos.line}` : undefined,
    };
    if (err.exitCode !== 2) out.crash = `exit code ${err.exitCode}: ${err.message}`;
    else if (!pos) out.crash = `no file:line: ${err.message}`;
    return out;
  }
}

export function summary(outcomes: Outcome[]): { total: number; ok: number; failed: number; crashed: number } {
  return {
    total: outcomes.length,
    ok: outcomes.filter((o) => o.ok).length,
    failed: outcomes.filter((o) => !o.ok && !o.crash).length,
    crashed: outcomes.filter((o) => o.crash).length,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const roots = process.argv.slice(2);
  const outcomes = (roots.length > 0 ? roots : [path.join(import.meta.dirname)]).flatMap((r) =>
    collectCases(path.resolve(r)).map(runCase),
  );
  for (const o of outcomes) {
    const status = o.ok ? 'ok   ' : o.crash ? 'CRASH' : 'fail ';
    const detail = o.ok
      ? `${o.services} services`
      : o.crash
        ? o.crash.split('\n')[0]
        : `${o.where}: ${o.message}`;
    process.stdout.write(`${status} ${o.case.name}  ${detail}\n`);
  }
  const s = summary(outcomes);
  process.stdout.write(
    `\n${s.ok}/${s.total} load and plan (${((100 * s.ok) / Math.max(1, s.total)).toFixed(1)} %); ` +
      `${s.failed} fail with exit 2 at a file:line; ${s.crashed} crash\n`,
  );
  process.exitCode = s.crashed > 0 ? 1 : 0;
}
