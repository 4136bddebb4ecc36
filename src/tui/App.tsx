import { Box, Text, useInput, useStdout } from 'ink';
import { type ReactElement, useEffect, useMemo, useRef, useState } from 'react';
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

export function App({ store, actions, color, frameMs = 200, statusMs = 5000 }: AppProps) {
  useStoreFrames(store, frameMs);
  const { columns, rows: termRows } = useTerminalSize();
  const now = useClock(1000);
  const rows = store.rows();
  // The key state lives in a ref as well: several keys can arrive before the next render (a paste, a
  // script), and each must see the state the previous one left.
  const [ui, setUi] = useState<KeyState>(initialKeyState);
  const uiRef = useRef(ui);
  const sel = selectedIndex(ui, rows.length);
  const { mode, logService, search, pausedAt } = ui;
  const serviceNames = rows.map((r) => r.name).join('\0');
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed only when the set of services changes
  const colours = useMemo(() => colourMap(rows.map((r) => r.name)), [serviceNames]);
  const replicated = new Set(rows.filter((r) => Math.max(r.wanted, r.running) > 1).map((r) => r.name));
  useStatusExpiry(store, statusMs);

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

  // Layout: header 1, table header 1 + rows (at most ~40% of the screen), status 1, pane title 1, footer 1.
  const tableRows = Math.max(1, Math.min(rows.length, Math.floor((termRows - 6) * 0.4)));
  const scrollHint = rows.length > tableRows ? 1 : 0;
  const paneHeight = Math.max(1, termRows - 1 - (1 + tableRows + scrollHint) - 1 - 1 - 1);
  const h = store.header;
  const header = `berth  stack ${h.stack}  project ${h.project}  client ${h.client ?? '-'}${h.url ? `  ${h.url}` : ''}  engine ${h.engine}`;
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
        : columns >= KEYS_LONG.length
          ? KEYS_LONG
          : KEYS_SHORT;

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
