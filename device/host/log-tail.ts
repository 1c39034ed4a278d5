/**
 * The latest lines of the terminal's log (`<dataDir>/logs/suanpan.log`, pino JSON lines) for the
 * technician overview. The logger has already redacted payment codes and keys (device/log.ts); this
 * only reads. Only the end of the file is read, however large it has grown; a missing file is an
 * empty log, and a line that is not JSON (one being written, a stray write) is skipped.
 */
import fs from 'node:fs';
import pino from 'pino';
import type { TechnicianOverview } from './api-schema.ts';

export type LogLine = TechnicianOverview['logs'][number];

/** What the overview shows: enough to see what led up to a problem, small enough to send. */
export const OVERVIEW_LOG_LINES = 100;
/** Read from the end of the file: 100 lines of up to ~2.5 KiB each. */
const TAIL_BYTES = 256 * 1024;

export function readLogTail(file: string, lines = OVERVIEW_LOG_LINES): LogLine[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let text: string;
  let fromStart: boolean;
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    const read = fs.readSync(fd, buffer, 0, length, size - length);
    text = buffer.subarray(0, read).toString('utf8');
    fromStart = length === size;
  } finally {
    fs.closeSync(fd);
  }
  const raw = text.split('\n');
  // Read from the middle of the file: the first piece is the end of a line cut in two.
  if (!fromStart) raw.shift();
  const parsed: LogLine[] = [];
  for (const line of raw) {
    const entry = parseLine(line);
    if (entry) parsed.push(entry);
  }
  return parsed.slice(-lines);
}

function parseLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const time =
    typeof value.time === 'string'
      ? value.time
      : typeof value.time === 'number'
        ? new Date(value.time).toISOString()
        : '';
  const level =
    typeof value.level === 'number'
      ? (pino.levels.labels[value.level] ?? String(value.level))
      : typeof value.level === 'string'
        ? value.level
        : 'info';
  // Most warnings carry the cause as `err`: a technician needs it more than the bare message.
  const err =
    typeof value.err === 'string'
      ? value.err
      : typeof (value.err as { message?: unknown } | undefined)?.message === 'string'
        ? (value.err as { message: string }).message
        : undefined;
  const msg = typeof value.msg === 'string' ? value.msg : '';
  return {
    time,
    level,
    ...(typeof value.module === 'string' ? { module: value.module } : {}),
    msg: err ? `${msg}: ${err}` : msg,
  };
}
