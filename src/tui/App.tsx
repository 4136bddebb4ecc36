import { Box, Text, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import { colourMap } from '../logs/format.js';
import {
  clientsListed,
  type Effect,
  initialKeyState,
  type KeyState,
  reduceKey,
  selectedIndex,
  splitKeys,
} from './keys.js';
import { LogPane, type LogPaneProps } from './LogPane.js';
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
  /** A message on the status line is cleared after this long (ms), or by the next key. */
  statusMs?: number;
}

// The footer: the long form where it fits whole (a cut one would hide `q quit`), else the short one.
const KEYS_LONG =
  '↑/↓ j/k select · Enter logs · a all · r restart · s stop/start · / search · p pause · c client · q quit';
const KEYS_SHORT = '↑↓jk sel ⏎ logs a all r restart s stop/start / search p pause c client q quit';

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

/** Clear a finished status message `ms` after it was shown (a newer message starts its own timer). */
function useStatusExpiry(store: UiStore, ms: number): void {
  const { status, statusPending, statusSerial } = store;
  useEffect(() => {
    if (!status || statusPending) return;
    const t = setTimeout(() => store.clearStatus(statusSerial), ms);
    return () => clearTimeout(t);
  }, [store, status, statusPending, statusSerial, ms]);
}

function useClock(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** The footer's key help for the mode, the long form where it fits whole. */
function footerKeys(mode: KeyState['mode'], columns: number): string {
  if (mode.kind === 'search') return `search: ${mode.draft}█   Enter keep · Esc clear`;
  if (mode.kind === 'clients') return '↑/↓ choose · Enter switch · Esc back';
  return columns >= KEYS_LONG.length ? KEYS_LONG : KEYS_SHORT;
}

/**
 * Keys in, effects out: each key goes through the pure reducer (tui/keys.ts) and its effect is carried out
 * here, the one place that touches the store and the actions. The key state lives in a ref as well: several
 * keys can arrive before the next render (a paste, a script), and each must see the state the previous one left.
 */
function useKeyDispatch(store: UiStore, actions: UiActions): KeyState {
  const [ui, setUi] = useState<KeyState>(initialKeyState);
  const uiRef = useRef(ui);
  const setState = (state: KeyState) => {
    uiRef.current = state;
    setUi(state);
  };
  const run = (label: string, p: Promise<void>) => {
    store.setStatus(`${label}…`, true);
    p.then(
      () => store.setStatus(`${label}: done`),
      (err: unknown) => store.setStatus(`${label}: failed: ${(err as Error).message ?? err}`),
    );
  };
  const perform = (effect: Effect) => {
    switch (effect.kind) {
      case 'quit':
        return actions.quit();
      case 'restart':
        return run(`restarting ${effect.service}`, actions.restart(effect.service));
      case 'toggle':
        return run(`${effect.verb} ${effect.service}`, actions.toggle(effect.service));
      case 'switchClient':
        return (
          actions.switchClient && run(`switching to client ${effect.name}`, actions.switchClient(effect.name))
        );
      case 'status':
        return store.setStatus(effect.text);
      case 'listClients':
        return void actions.clients().then(
          (list) => {
            const next = clientsListed(uiRef.current, list);
            setState(next.state);
            perform(next.effect);
          },
          (err: unknown) => store.setStatus(`clients: ${(err as Error).message}`),
        );
    }
  };

  useInput((input, key) => {
    for (const k of splitKeys({ ...key, input }, uiRef.current.mode)) {
      // A key dismisses the last message (it has been seen); the key's own message, if any, replaces it.
      store.clearStatus();
      const next = reduceKey(uiRef.current, k, {
        services: store.rows(),
        logSeq: store.logs.seq,
        canSwitch: actions.switchClient !== undefined,
      });
      if (next.state !== uiRef.current) setState(next.state);
      perform(next.effect);
    }
  });
  return ui;
}

/** What the log pane takes, less the lines (the pane reads them from the store), plus the key state. */
interface PaneProps extends Omit<LogPaneProps, 'lines'> {
  store: UiStore;
  ui: KeyState;
  canSwitch: boolean;
}

/** The lower pane: `down`'s progress while quitting, the client picker, or the log feed. */
function Pane({ store, ui, canSwitch, title, width, height, colours, replicated, color }: PaneProps) {
  const { mode, logService, search, pausedAt } = ui;
  if (store.progress) {
    return (
      <Box flexDirection="column" height={height + 1}>
        <Text bold>{cell(`── ${title} `, width)}</Text>
        {store.progress.slice(-height).map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: append-only progress lines
          <Text key={i} wrap="truncate">
            {l}
          </Text>
        ))}
      </Box>
    );
  }
  if (mode.kind === 'clients') {
    return (
      <Box flexDirection="column" height={height + 1}>
        <Text bold>{cell('── clients (Enter switches) ', width)}</Text>
        {mode.names.slice(0, height).map((n, i) => (
          <Text key={n} inverse={i === mode.at && color}>
            {`${i === mode.at ? '› ' : '  '}${n}${n === mode.active ? '  (active)' : ''}`}
          </Text>
        ))}
        {canSwitch ? null : <Text dimColor>{`switch with \`berth use NAME\` (then reopen berth ui)`}</Text>}
      </Box>
    );
  }
  const lines = store.logs.view(height, { service: logService, search: search || undefined }, pausedAt);
  return (
    <LogPane
      lines={lines}
      title={title}
      width={width}
      height={height}
      colours={colours}
      replicated={replicated}
      color={color}
    />
  );
}

export function App({ store, actions, color, frameMs = 200, statusMs = 5000 }: AppProps) {
  useStoreFrames(store, frameMs);
  useStatusExpiry(store, statusMs);
  const { columns, rows: termRows } = useTerminalSize();
  const now = useClock(1000);
  const ui = useKeyDispatch(store, actions);
  const rows = store.rows();
  const serviceNames = rows.map((r) => r.name).join('\0');
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed only when the set of services changes
  const colours = useMemo(() => colourMap(rows.map((r) => r.name)), [serviceNames]);
  const replicated = new Set(rows.filter((r) => Math.max(r.wanted, r.running) > 1).map((r) => r.name));

  // Layout: header 1, table header 1 + rows (at most ~40% of the screen), status 1, pane title 1, footer 1.
  const tableRows = Math.max(1, Math.min(rows.length, Math.floor((termRows - 6) * 0.4)));
  const scrollHint = rows.length > tableRows ? 1 : 0;
  const paneHeight = Math.max(1, termRows - 1 - (1 + tableRows + scrollHint) - 1 - 1 - 1);
  const h = store.header;
  const header = `berth  stack ${h.stack}  project ${h.project}  client ${h.client ?? '-'}${h.url ? `  ${h.url}` : ''}  engine ${h.engine}`;
  const paneTitle = [
    store.progress ? 'stopping the stack' : ui.logService ? `logs: ${ui.logService}` : 'logs: all services',
    ui.search ? `search: ${ui.search}` : '',
    ui.pausedAt !== undefined ? 'PAUSED (p resumes)' : '',
  ]
    .filter(Boolean)
    .join(' · ');

  return (
    <Box flexDirection="column" width={columns}>
      <Text bold wrap="truncate">
        {header}
      </Text>
      <ServiceTable
        rows={rows}
        selected={selectedIndex(ui, rows.length)}
        width={columns}
        height={tableRows}
        colours={colours}
        color={color}
        now={now}
      />
      <Text wrap="truncate" color={color ? 'yellow' : undefined}>
        {store.status || ' '}
      </Text>
      <Pane
        store={store}
        ui={ui}
        canSwitch={actions.switchClient !== undefined}
        title={paneTitle}
        width={columns}
        height={paneHeight}
        colours={colours}
        replicated={replicated}
        color={color}
      />
      <Text wrap="truncate" dimColor={color}>
        {footerKeys(ui.mode, columns)}
      </Text>
    </Box>
  );
}
