import { Box, type Key, Text, useInput, useStdout } from 'ink';
import { type ReactElement, useEffect, useMemo, useRef, useState } from 'react';
import { colourMap } from '../logs/format.js';
import { LogPane } from './LogPane.js';
import type { UiStore } from './store.js';
import { ServiceTable } from './Table.js';
import { cell } from './text.js';

export interface UiActions {
  restart(service: string): Promise<void>;
  /** Stop the service when a replica runs, start it otherwise. */
  toggle(service: string): Promise<void>;
  clients(): Promise<{ names: string[]; active?: string }>;
  /** Undefined when this UI cannot switch clients itself: the picker then says how to. */
  switchClient?(name: string): Promise<void>;
  /** q (and Ctrl-C): leave the UI. Attached `up` stops the stack first, showing progress. */
  quit(): void;
}

export interface AppProps {
  store: UiStore;
  actions: UiActions;
  color: boolean;
  /** Render at most this often (ms) however fast lines and events arrive. */
  frameMs?: number;
}

type Mode =
  | { kind: 'normal' }
  | { kind: 'search'; draft: string }
  | { kind: 'clients'; names: string[]; active?: string; at: number };

/** Terminal size, following resizes. */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: (stdout as { rows?: number }).rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return size;
}

/** Re-render when the store changed, at most once per `frameMs`: batches bursts of log lines and events. */
function useStoreFrames(store: UiStore, frameMs: number): number {
  const [version, setVersion] = useState(store.version);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  useEffect(() => {
    const unsubscribe = store.subscribe(() => {
      timer.current ??= setTimeout(() => {
        timer.current = undefined;
        setVersion(store.version);
      }, frameMs);
    });
    return () => {
      unsubscribe();
      if (timer.current) clearTimeout(timer.current);
    };
  }, [store, frameMs]);
  return version;
}

function useClock(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function App({ store, actions, color, frameMs = 200 }: AppProps) {
  useStoreFrames(store, frameMs);
  const { columns, rows: termRows } = useTerminalSize();
  const now = useClock(1000);
  const rows = store.rows();
  const [selected, setSelected] = useState(0);
  const [logService, setLogService] = useState<string | undefined>(undefined);
  const [search, setSearch] = useState('');
  const [pausedAt, setPausedAt] = useState<number | undefined>(undefined);
  const [mode, setMode] = useState<Mode>({ kind: 'normal' });
  const sel = Math.min(selected, Math.max(0, rows.length - 1));
  const current = rows[sel];
  const serviceNames = rows.map((r) => r.name).join('\0');
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed only when the set of services changes
  const colours = useMemo(() => colourMap(rows.map((r) => r.name)), [serviceNames]);
  const replicated = new Set(rows.filter((r) => Math.max(r.wanted, r.running) > 1).map((r) => r.name));

  const run = (label: string, p: Promise<void>) => {
    store.setStatus(`${label}…`);
    p.then(
      () => store.setStatus(`${label}: done`),
      (err: unknown) => store.setStatus(`${label}: failed: ${(err as Error).message ?? err}`),
    );
  };

  // Keys typed faster than a frame (or sent by a script) arrive as one chunk, "jj": take them one by one.
  useInput((input, key) => {
    if (input.length > 1 && mode.kind !== 'search' && !key.ctrl && !key.meta && !input.includes('\u001b')) {
      for (const ch of input) onKey(ch, { ...key, return: ch === '\r' });
    } else onKey(input, key);
  });

  function onKey(input: string, key: Key): void {
    if (key.ctrl && input === 'c') {
      actions.quit();
      return;
    }
    if (mode.kind === 'search') {
      // Functional updates: several keys can arrive before the next render (paste, fast typing).
      const edit = (f: (draft: string) => string) => {
        setSearch((s) => f(s));
        setMode((m) => (m.kind === 'search' ? { kind: 'search', draft: f(m.draft) } : m));
      };
      if (key.return) setMode({ kind: 'normal' });
      else if (key.escape) {
        setSearch('');
        setMode({ kind: 'normal' });
      } else if (key.backspace || key.delete) edit((d) => d.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) edit((d) => d + input);
      return;
    }
    if (mode.kind === 'clients') {
      if (key.escape || input === 'c' || input === 'q') setMode({ kind: 'normal' });
      else if (key.upArrow || input === 'k') setMode({ ...mode, at: Math.max(0, mode.at - 1) });
      else if (key.downArrow || input === 'j')
        setMode({ ...mode, at: Math.min(mode.names.length - 1, mode.at + 1) });
      else if (key.return) {
        const name = mode.names[mode.at];
        setMode({ kind: 'normal' });
        if (name && actions.switchClient) run(`switching to client ${name}`, actions.switchClient(name));
        else if (name) store.setStatus(`to switch: quit and run \`berth use ${name}\``);
      }
      return;
    }
    if (key.upArrow || input === 'k') setSelected((i) => Math.max(0, Math.min(i, rows.length - 1) - 1));
    else if (key.downArrow || input === 'j') setSelected((i) => Math.min(rows.length - 1, i + 1));
    else if (key.return && current) setLogService(current.name);
    else if (input === 'a') setLogService(undefined);
    else if (input === 'r' && current) run(`restarting ${current.name}`, actions.restart(current.name));
    else if (input === 's' && current) {
      const verb = current.running > 0 ? 'stopping' : 'starting';
      run(`${verb} ${current.name}`, actions.toggle(current.name));
    } else if (input === '/') setMode({ kind: 'search', draft: search });
    else if (input === 'p') setPausedAt(pausedAt === undefined ? store.logs.seq : undefined);
    else if (input === 'c') {
      actions.clients().then(
        ({ names, active }) => {
          if (names.length === 0)
            store.setStatus('this stack has no clients (clients/NAME.yaml or x-berth.clients)');
          else setMode({ kind: 'clients', names, active, at: Math.max(0, names.indexOf(active ?? '')) });
        },
        (err: unknown) => store.setStatus(`clients: ${(err as Error).message}`),
      );
    } else if (input === 'q') actions.quit();
  }

  // Layout: header 1, table header 1 + rows (at most ~40% of the screen), status 1, pane title 1, footer 1.
  const tableRows = Math.max(1, Math.min(rows.length, Math.floor((termRows - 6) * 0.4)));
  const scrollHint = rows.length > tableRows ? 1 : 0;
  const paneHeight = Math.max(1, termRows - 1 - (1 + tableRows + scrollHint) - 1 - 1 - 1);
  const h = store.header;
  const header = `berth  stack ${h.stack}  project ${h.project}  client ${h.client ?? '-'}  engine ${h.engine}`;
  const paneTitle = [
    store.progress ? 'stopping the stack' : logService ? `logs: ${logService}` : 'logs: all services',
    search ? `search: ${search}` : '',
    pausedAt !== undefined ? 'PAUSED (p resumes)' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const keys =
    mode.kind === 'search'
      ? `search: ${mode.draft}█   Enter keep · Esc clear`
      : mode.kind === 'clients'
        ? '↑/↓ choose · Enter switch · Esc back'
        : columns >= 96
          ? '↑/↓ j/k select · Enter logs · a all · r restart · s stop/start · / search · p pause · c client · q quit'
          : '↑↓jk sel ⏎ logs a all r restart s stop/start / search p pause c client q quit';

  let pane: ReactElement;
  if (store.progress) {
    pane = (
      <Box flexDirection="column" height={paneHeight + 1}>
        <Text bold>{cell(`── ${paneTitle} `, columns)}</Text>
        {store.progress.slice(-paneHeight).map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: append-only progress lines
          <Text key={i} wrap="truncate">
            {l}
          </Text>
        ))}
      </Box>
    );
  } else if (mode.kind === 'clients') {
    pane = (
      <Box flexDirection="column" height={paneHeight + 1}>
        <Text bold>{cell('── clients (Enter switches) ', columns)}</Text>
        {mode.names.slice(0, paneHeight).map((n, i) => (
          <Text key={n} inverse={i === mode.at && color}>
            {`${i === mode.at ? '› ' : '  '}${n}${n === mode.active ? '  (active)' : ''}`}
          </Text>
        ))}
        {actions.switchClient ? null : (
          <Text dimColor>{`switch with \`berth use NAME\` (then reopen berth ui)`}</Text>
        )}
      </Box>
    );
  } else {
    const lines = store.logs.view(paneHeight, { service: logService, search: search || undefined }, pausedAt);
    pane = (
      <LogPane
        lines={lines}
        title={paneTitle}
        width={columns}
        height={paneHeight}
        colours={colours}
        replicated={replicated}
        color={color}
      />
    );
  }

  return (
    <Box flexDirection="column" width={columns}>
      <Text bold wrap="truncate">
        {header}
      </Text>
      <ServiceTable
        rows={rows}
        selected={sel}
        width={columns}
        height={tableRows}
        colours={colours}
        color={color}
        now={now}
      />
      <Text wrap="truncate" color={color ? 'yellow' : undefined}>
        {store.status || ' '}
      </Text>
      {pane}
      <Text wrap="truncate" dimColor={color}>
        {keys}
      </Text>
    </Box>
  );
}
