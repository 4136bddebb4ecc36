// Environment snapshots (`berth snapshot`, `diff`, `export`): names, tags and how they are shown. Pure; the
// engine side is src/engine/snapshots.ts.
import { badInput } from '../errors.js';

/** Default tag: the UTC time, sortable and valid as a tag (`20261121-205803`). */
export function timestampTag(at: Date): string {
  const iso = at.toISOString(); // 2026-11-21T20:58:03.123Z
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function checkTag(tag: string): string {
  if (!TAG.test(tag)) {
    throw badInput(`invalid snapshot tag ${JSON.stringify(tag)}`, {
      hint: 'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"',
    });
  }
  return tag;
}

export interface SnapshotInfo {
  /** `repo:tag`, or the image ID when the tag has moved on to a newer snapshot. */
  ref: string;
  id: string;
  project: string;
  stack: string;
  service: string;
  client?: string;
  /** ISO time the snapshot was taken. */
  time: string;
  sizeBytes: number;
}

import type { ChangeKind, FsChange } from '../model/index.js';

const LETTER: Record<ChangeKind, string> = { changed: 'C', added: 'A', deleted: 'D' };

/** `docker diff` style: one `A|C|D path` line per change, in path order. */
export function formatChanges(changes: FsChange[]): string {
  return [...changes]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((c) => `${LETTER[c.kind]} ${c.path}`)
    .join('\n');
}

export function humanSize(bytes: number): string {
  if (bytes < 1000) return `${bytes}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** Newest first: the one you most likely want to run or export is at the top. */
export const sortSnapshots = (list: SnapshotInfo[]) =>
  [...list].sort((a, b) => b.time.localeCompare(a.time) || a.ref.localeCompare(b.ref));

export function formatSnapshotTable(list: SnapshotInfo[]): string {
  const header = ['IMAGE', 'SERVICE', 'CLIENT', 'TAKEN', 'SIZE'];
  const rows = list.map((s) => [
    s.ref,
    s.service,
    s.client ?? '-',
    s.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    humanSize(s.sizeBytes),
  ]);
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}
