/**
 * Turns at a terminal's lock, in seq order, for the uploads one core process is serving.
 *
 * A terminal keeps several batches in flight (see DEFAULT_PIPELINE_DEPTH in sync-engine.ts), and
 * each upload reads its codes before it asks for the terminal's lock (see readCodes in service.ts).
 * A later batch whose codes were read sooner asked for the lock first, and was judged first: the
 * sync bench's batches were answered out of order, and when a wallet could pay only one of two
 * payments, the later payment got the money (concurrency.test.ts). Here an upload waits, before
 * its transaction, until each upload of the same terminal with lower seqs that reached this point
 * before it has taken the lock (or given up); then its own request for the lock queues behind
 * theirs in PostgreSQL. It waits holding no lock and no connection, so the wait can't close a
 * cycle with the database's waits, nor starve the pool.
 *
 * The order is the order in which uploads get here, after their admission: a terminal sends its
 * batches one after another, and they are admitted in that order as a rule (each a short statement
 * on the core's pool), but a later batch that overtakes an earlier one on the way, or at its
 * admission (or reaches another core process, behind a load balancer that spreads a terminal's
 * connections) is taken first, as before. So is a later batch
 * when an earlier one, having taken the lock, gives it up to be retried (a collision on insert, see
 * UnprobedClash in service.ts). Nothing is lost or applied twice either way; only which of two
 * payments a short wallet pays may change.
 */

/**
 * The longest an upload waits for earlier ones: the order is for fairness, and an earlier upload
 * stuck before the lock (its connection hung mid-read) must not hold up the terminal's later
 * batches, and their retries, until it fails. An upload normally takes the lock within milliseconds
 * of the one before it.
 */
export const TURN_WAIT_MAX_MS = 5_000;

export class LockTurns {
  /** Per terminal, the uploads that have not yet taken its lock: their lowest seq, and a signal. */
  private readonly waiting = new Map<string, Set<{ seq: number; locked: Promise<void> }>>();

  constructor(private readonly maxWaitMs = TURN_WAIT_MAX_MS) {}

  /**
   * Runs `work` once every upload of `terminalId` with lower seqs that came before has taken the
   * lock (or after `maxWaitMs`). `work` calls `locked` once it holds the lock; a retry calls it
   * again, which changes nothing. Without a seq (an upload of the journal head alone) there is
   * nothing to order.
   */
  async run<T>(
    terminalId: string,
    seq: number | undefined,
    work: (locked: () => void) => Promise<T>,
  ): Promise<T> {
    if (seq === undefined) return work(() => {});
    let turns = this.waiting.get(terminalId);
    if (!turns) {
      turns = new Set();
      this.waiting.set(terminalId, turns);
    }
    const ahead = [...turns].filter((t) => t.seq < seq).map((t) => t.locked);
    let signal!: () => void;
    const turn = { seq, locked: new Promise<void>((resolve) => (signal = resolve)) };
    turns.add(turn);
    const locked = () => {
      signal();
      turns.delete(turn);
      if (turns.size === 0 && this.waiting.get(terminalId) === turns) this.waiting.delete(terminalId);
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      if (ahead.length > 0) {
        await Promise.race([
          Promise.all(ahead),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.maxWaitMs);
          }),
        ]);
      }
      return await work(locked);
    } finally {
      clearTimeout(timer);
      locked();
    }
  }
}
