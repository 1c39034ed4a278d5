/**
 * Which other processes have the journal open without this build's mark (Linux: /proc/<pid>/fd).
 * Before the journal's schema is upgraded: an older Suanpan still running on it (a kiosk left
 * running through an update) would meet tables and columns it doesn't know, and fail on the
 * payments it records. Every process of this build holds `<journal>.open-v<schema>` open while it
 * has the journal open (see Journal.open), so two of them upgrading together don't stop each other.
 * Elsewhere, or where /proc can't be read (another user's processes, hidepid), nobody is found and
 * the upgrade goes ahead: the README says to stop Suanpan before updating it.
 */
import fs from 'node:fs';

export interface Holder {
  pid: number;
  /** Its command line, shortened (for the message that asks to stop it). */
  command: string;
}

/** The file every process of a build with schema `version` holds open beside the journal. */
export function openMarkFile(journal: string, version: number): string {
  return `${journal}.open-v${version}`;
}

export function otherProcessesHolding(file: string, mark: string): Holder[] {
  let target: string;
  let marked: string | undefined;
  let pids: string[];
  try {
    target = fs.realpathSync(file);
    marked = fs.existsSync(mark) ? fs.realpathSync(mark) : undefined;
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found: Holder[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let links: string[];
    try {
      links = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
    } catch {
      continue; // gone, or another user's
    }
    if (links.includes(target) && (marked === undefined || !links.includes(marked))) {
      found.push({ pid: Number(pid), command: commandOf(pid) });
    }
  }
  return found;
}

function commandOf(pid: string): string {
  try {
    const words = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const text = words.join(' ');
    return text.length > 80 ? `${text.slice(0, 79)}…` : text;
  } catch {
    return '?';
  }
}
