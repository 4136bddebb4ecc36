import { Box, Text } from 'ink';
import { type Colour, prefixLabel } from '../logs/format.js';
import type { LogLine } from '../logs/types.js';
import { cell, printable } from './text.js';

export interface LogPaneProps {
  lines: LogLine[];
  /** Title: which service (or all), search, paused. */
  title: string;
  width: number;
  height: number;
  colours: Map<string, Colour>;
  /** Services with more than one replica get `-n` in their prefix, as in `berth logs`. */
  replicated: Set<string>;
  color: boolean;
}

export function LogPane({ lines, title, width, height, colours, replicated, color }: LogPaneProps) {
  let prefixWidth = 0;
  for (const l of lines) {
    prefixWidth = Math.max(prefixWidth, prefixLabel(l.service, l.replica, replicated.has(l.service)).length);
  }
  prefixWidth = Math.min(prefixWidth, Math.floor(width / 3));
  const textWidth = Math.max(10, width - prefixWidth - 3);
  const pad = Math.max(0, height - lines.length);
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text dimColor={color} bold={!color} wrap="truncate">
        {cell(`── ${title} `, width).replace(/ +$/, (s) => '─'.repeat(s.length))}
      </Text>
      {lines.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows of a scrolling pane; position is the identity
        <Text key={i} wrap="truncate">
          <Text color={color ? colours.get(l.service) : undefined}>
            {`${cell(prefixLabel(l.service, l.replica, replicated.has(l.service)), prefixWidth)} |`}
          </Text>{' '}
          <Text>{printable(l.text, textWidth)}</Text>
        </Text>
      ))}
      {pad > 0 ? <Box height={pad} /> : null}
    </Box>
  );
}
