/**
 * Which other processes have a file open (Linux: /proc/<pid>/fd). Before the journal's schema is
 * upgraded: an older Suanpan still running on it (a kiosk left running through an upgrade) would
 * meet tables and columns it doesn't know, and fail on the payments it records. Elsewhere, or where
 * /proc can't be read, nobody is found and the upgrade goes ahead as before.
 */
import fs from 'node:fs';

export function otherProcessesHolding(file: string): number[] {
  let target: string;
  let pids: string[];
  try {
    target = fs.realpathSync(file);
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (link === target) {
        found.push(Number(pid));
        break;
      }
    }
  }
  return found;
}
