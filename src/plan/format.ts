// The plan as readable lines, for `berth up --dry-run`.
import type { Action, Plan } from './types.js';

function line(a: Action): string {
  switch (a.kind) {
    case 'create-network':
      return `+ network   ${a.name}  create`;
    case 'create-volume':
      return `+ volume    ${a.name}  create`;
    case 'create':
      return `+ container ${a.name}  create${a.scale ? ' (scale up)' : ''}`;
    case 'recreate':
      return `~ container ${a.name}  recreate (${a.reason})`;
    case 'start':
      return `> container ${a.name}  start (${a.container.state})`;
    case 'restart':
      return `↻ container ${a.name}  restart (dependency "${a.dependency}" replaced)`;
    case 'remove':
      return `- container ${a.name}  remove (${a.reason})`;
  }
}

export function summarize(plan: Plan): string {
  const count = (k: Action['kind']) => plan.actions.filter((a) => a.kind === k).length;
  const parts = [
    ['create', count('create') + count('create-network') + count('create-volume')],
    ['recreate', count('recreate')],
    ['start', count('start')],
    ['restart', count('restart')],
    ['remove', count('remove')],
  ] as const;
  return parts
    .filter(([, n]) => n > 0)
    .map(([w, n]) => `${n} to ${w}`)
    .join(', ');
}

export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  if (plan.actions.length === 0) {
    out.push(
      `Everything is up to date: nothing to do for project ${plan.project} (${plan.unchanged.length} container${plan.unchanged.length === 1 ? '' : 's'} running).`,
    );
  } else {
    out.push(`Plan for project ${plan.project}: ${summarize(plan)}`);
    for (const a of plan.actions) out.push(`  ${line(a)}`);
  }
  const kept = plan.orphans.filter(
    (o) => !plan.actions.some((a) => a.kind === 'remove' && a.container.id === o.id),
  );
  for (const o of kept)
    out.push(
      `  ! orphan    ${o.name}  (service "${o.service}" is not in the stack; --remove-orphans removes it)`,
    );
  return `${out.join('\n')}\n`;
}
