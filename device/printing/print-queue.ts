/**
 * The print queue: receipts waiting for the printer, in SQLite beside the journal, so a receipt
 * survives paper out, an open cover, an unplugged printer and a reboot, and prints when the printer
 * is back. A payment's receipt is queued once (a unique index); printing it again is a new job of
 * kind `reprint`, made only when someone asks. Committed with WAL and synchronous=FULL, like the
 * journal: a job acknowledged is a job kept.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { PrintDocument } from '../../drivers/printer/document.ts';
import { pidAlive } from '../pid-alive.ts';

export const PRINT_QUEUE_FILE = 'print-queue.sqlite';

export type PrintJobKind = 'receipt' | 'reprint' | 'test' | 'shift';
export type PrintJobState = 'queued' | 'printed' | 'cancelled';

export interface PrintJob {
  id: number;
  kind: PrintJobKind;
  paymentId: string | null;
  document: PrintDocument;
  state: PrintJobState;
  attempts: number;
  lastError: { code: string; message: string } | null;
  createdAt: string;
  printedAt: string | null;
  reprintOf: number | null;
  /** An attempt broke off after part of the job reached the printer. */
  partial: boolean;
}

const MIGRATIONS = [
  `CREATE TABLE print_jobs (
     id              INTEGER PRIMARY KEY,
     kind            TEXT NOT NULL CHECK (kind IN ('receipt', 'reprint', 'test', 'shift')),
     payment_id      TEXT,
     document        TEXT NOT NULL,
     state           TEXT NOT NULL CHECK (state IN ('queued', 'printed', 'cancelled')),
     attempts        INTEGER NOT NULL DEFAULT 0,
     last_error_code TEXT,
     last_error      TEXT,
     created_at      TEXT NOT NULL,
     updated_at      TEXT NOT NULL,
     printed_at      TEXT,
     reprint_of      INTEGER REFERENCES print_jobs (id),
     -- Who is printing it until when: two processes flushing one queue never print a job twice.
     lease_owner     TEXT,
     lease_until     TEXT
   ) STRICT;
   CREATE INDEX print_jobs_by_state ON print_jobs (state, id);
   -- One receipt per payment: a retried enqueue finds it; printing it again is a 'reprint' job.
   CREATE UNIQUE INDEX print_jobs_one_receipt ON print_jobs (payment_id) WHERE kind = 'receipt';`,
  // Whether an attempt broke off after some of the job reached the printer (paper out, unplugged):
  // the next attempt starts with a cut, clear of the part already printed.
  'ALTER TABLE print_jobs ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;',
];

interface Row {
  id: number;
  kind: PrintJobKind;
  payment_id: string | null;
  document: string;
  state: PrintJobState;
  attempts: number;
  last_error_code: string | null;
  last_error: string | null;
  created_at: string;
  printed_at: string | null;
  reprint_of: number | null;
  partial: number;
  lease_owner: string | null;
}

const toJob = (r: Row): PrintJob => ({
  id: r.id,
  kind: r.kind,
  paymentId: r.payment_id,
  document: JSON.parse(r.document) as PrintDocument,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error_code ? { code: r.last_error_code, message: r.last_error ?? '' } : null,
  createdAt: r.created_at,
  printedAt: r.printed_at,
  reprintOf: r.reprint_of,
  partial: r.partial === 1,
});

/** Owners are `<pid>-<random>` of a process on this machine: is that process still running? */
function processAlive(owner: string): boolean {
  const pid = Number.parseInt(owner, 10);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  return pidAlive(pid);
}

export class PrintQueue {
  /** Each statement prepared once, on first use, rather than on every call. */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
  ) {}

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  static open(dataDir: string, options: { now?: () => Date } = {}): PrintQueue {
    const db = new Database(path.join(dataDir, PRINT_QUEUE_FILE), { timeout: 5_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // better-sqlite3 opens WAL databases at NORMAL, which can lose the last commits on power loss.
    if (db.pragma('synchronous', { simple: true }) !== 2) {
      db.close();
      throw new Error(`The print queue in ${dataDir} could not be made durable (synchronous=FULL refused).`);
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      db.close();
      throw new Error(`The print queue in ${dataDir} was written by a newer Suanpan (schema ${version}).`);
    }
    MIGRATIONS.forEach((sql, i) => {
      if (i < version) return;
      db.transaction(() => {
        db.exec(sql);
        db.pragma(`user_version = ${i + 1}`);
      }).immediate();
    });
    return new PrintQueue(db, options.now ?? (() => new Date()));
  }

  /** Queues a job. A payment's receipt already queued (or printed) is returned, not queued again. */
  enqueue(job: {
    kind: PrintJobKind;
    document: PrintDocument;
    paymentId?: string;
    reprintOf?: number;
  }): PrintJob {
    const at = this.now().toISOString();
    return this.db
      .transaction(() => {
        if (job.kind === 'receipt' && job.paymentId) {
          const existing = this.sql("SELECT * FROM print_jobs WHERE kind = 'receipt' AND payment_id = ?").get(
            job.paymentId,
          ) as Row | undefined;
          if (existing) return toJob(existing);
        }
        const r = this.sql(
          `INSERT INTO print_jobs (kind, payment_id, document, state, created_at, updated_at, reprint_of)
             VALUES (?, ?, ?, 'queued', ?, ?, ?)`,
        ).run(job.kind, job.paymentId ?? null, JSON.stringify(job.document), at, at, job.reprintOf ?? null);
        return this.get(Number(r.lastInsertRowid)) as PrintJob;
      })
      .immediate();
  }

  get(id: number): PrintJob | undefined {
    const row = this.sql('SELECT * FROM print_jobs WHERE id = ?').get(id) as Row | undefined;
    return row && toJob(row);
  }

  pending(): PrintJob[] {
    return (this.sql("SELECT * FROM print_jobs WHERE state = 'queued' ORDER BY id").all() as Row[]).map(
      toJob,
    );
  }

  /** The last receipt (or reprint) that printed, for "reprint last". */
  lastPrintedReceipt(): PrintJob | undefined {
    const row = this.sql(
      "SELECT * FROM print_jobs WHERE state = 'printed' AND kind IN ('receipt', 'reprint') ORDER BY printed_at DESC, id DESC LIMIT 1",
    ).get() as Row | undefined;
    return row && toJob(row);
  }

  receiptFor(paymentId: string): PrintJob | undefined {
    const row = this.sql("SELECT * FROM print_jobs WHERE kind = 'receipt' AND payment_id = ?").get(
      paymentId,
    ) as Row | undefined;
    return row && toJob(row);
  }

  /**
   * Takes the job for printing for `leaseMs`: false if another live process holds it (or it is no
   * longer queued). A lease ends when it runs out, or at once when its owner process is gone (a
   * `suanpan pay` interrupted while printing must not hold up the next receipts).
   */
  claim(id: number, owner: string, leaseMs: number): boolean {
    const now = this.now();
    const held = this.sql('SELECT lease_owner, lease_until FROM print_jobs WHERE id = ?').get(id) as
      | { lease_owner: string | null; lease_until: string | null }
      | undefined;
    const ownerGone = held?.lease_owner ? !processAlive(held.lease_owner) : false;
    return (
      this.sql(
        `UPDATE print_jobs SET lease_owner = @owner, lease_until = @until
           WHERE id = @id AND state = 'queued'
             AND (lease_until IS NULL OR lease_until < @now OR lease_owner = @owner
                  OR (@ownerGone AND lease_owner = @heldBy))`,
      ).run({
        owner,
        until: new Date(now.getTime() + leaseMs).toISOString(),
        id,
        now: now.toISOString(),
        ownerGone: ownerGone ? 1 : 0,
        heldBy: held?.lease_owner ?? null,
      }).changes === 1
    );
  }

  /** Marks a job printed, once: a job printed by another process meanwhile is left as it is. */
  markPrinted(id: number): boolean {
    const at = this.now().toISOString();
    return (
      this.sql(
        "UPDATE print_jobs SET state = 'printed', printed_at = ?, updated_at = ?, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = 'queued'",
      ).run(at, at, id).changes === 1
    );
  }

  /** Records a failed attempt (and whether part of the job had reached the printer); the job stays queued. */
  markFailed(
    id: number,
    error: { code: string; message: string },
    options: { partial?: boolean } = {},
  ): void {
    this.sql(
      `UPDATE print_jobs SET attempts = attempts + 1, last_error_code = ?, last_error = ?, updated_at = ?,
           partial = max(partial, ?), lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = 'queued'`,
    ).run(error.code, error.message, this.now().toISOString(), options.partial ? 1 : 0, id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
