import { Box, Text } from 'ink';
import type { Colour } from '../logs/format.js';
import { formatUptime, type ServiceRow } from './model.js';
import { cell } from './text.js';

export interface TableLayout {
  service: number;
  state: number;
  health: number;
  replicas: number;
  ports: number;
  uptime: number;
  restarts: number;
  image: number;
}

/** Column widths for a terminal `width` columns wide (80 at least in mind): fixed columns keep their size,
 *  the rest goes to service, ports and image. */
export function tableLayout(width: number): TableLayout {
  const fixed = { state: 10, health: 9, replicas: 5, uptime: 6, restarts: 4 };
  const gaps = 7;
  const marker = 2; // '› ' before the selected service
  const rest = Math.max(18, width - gaps - marker - 34);
  const service = Math.min(24, Math.max(8, Math.floor(rest * 0.36)));
  const ports = Math.min(28, Math.max(6, Math.floor(rest * 0.33)));
  const image = Math.max(4, rest - service - ports);
  return { ...fixed, service, ports, image };
}

const STATE_COLOUR: Record<string, Colour | 'gray'> = {
  running: 'green',
  partial: 'yellow',
  restarting: 'yellow',
  stopping: 'yellow',
  paused: 'yellow',
  created: 'gray',
  exited: 'red',
  missing: 'red',
};
const HEALTH_COLOUR: Record<string, Colour> = { healthy: 'green', starting: 'yellow', unhealthy: 'red' };

interface Props {
  rows: ServiceRow[];
  selected: number;
  width: number;
  /** Rows of services visible (the table scrolls to keep the selection in view). */
  height: number;
  colours: Map<string, Colour>;
  color: boolean;
  now: number;
}

export function ServiceTable({ rows, selected, width, height, colours, color, now }: Props) {
  const L = tableLayout(width);
  const first = Math.max(0, Math.min(selected - height + 1, rows.length - height));
  const visible = rows.slice(Math.max(0, first), Math.max(0, first) + height);
  const c = (name: string | undefined) => (color ? name : undefined);
  return (
    <Box flexDirection="column">
      <Text bold>
        {`${cell('SERVICE', L.service + 2)} ${cell('STATE', L.state)} ${cell('HEALTH', L.health)} ${cell('REPL', L.replicas)} ${cell('PORTS', L.ports)} ${cell('UP', L.uptime)} ${cell('RST', L.restarts)} ${cell('IMAGE', L.image)}`}
      </Text>
      {visible.map((r) => {
        const isSel = rows.indexOf(r) === selected;
        return (
          <Text key={r.name} inverse={isSel && color} wrap="truncate">
            <Text>{isSel ? '› ' : '  '}</Text>
            <Text color={c(colours.get(r.name))}>{cell(r.name, L.service)}</Text>{' '}
            <Text color={c(STATE_COLOUR[r.state])}>{cell(r.state, L.state)}</Text>{' '}
            <Text color={c(HEALTH_COLOUR[r.health ?? ''])}>{cell(r.health ?? '-', L.health)}</Text>{' '}
            {cell(`${r.running}/${r.wanted}`, L.replicas)} {cell(r.ports.join(',') || '-', L.ports)}{' '}
            {cell(r.since === undefined ? '-' : formatUptime(now - r.since), L.uptime)}{' '}
            {cell(String(r.restarts), L.restarts)} {cell(r.image, L.image)}
          </Text>
        );
      })}
      {rows.length > height ? <Text dimColor>{`  … ${rows.length} services, ↑/↓ to scroll`}</Text> : null}
    </Box>
  );
}
