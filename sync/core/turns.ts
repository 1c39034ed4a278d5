/**
 * Turns at a terminal's lock, in seq order, for the uploads one core process is serving.
 *
 * A terminal keeps several batches in flight (see DEFAULT_PIPELINE_DEPTH in sync-engine.ts), and
 * each upload reads its codes before it asks for the terminal's lock (see readCodes in service.ts).
 * A later batch whose codes were read sooner asked for the lock first, and was judged first: seen
 * in the sync bench, where a terminal's batches were answered out of order, and with a wallet that
 * can pay only one of two payments, the later payment got the money. Here an upload waits, before
 * its transaction, until each upload of the same terminal with lower seqs that came before it has
 * taken the lock (or given up); then its own request for the lock queues behind theirs in
 * PostgreSQL. It waits holding no lock and no connection, so the wait can't close a cycle with the
 * database's waits, nor starve the pool.
 *
 * One process's order only: two core processes serving one terminal (a load balancer that spreads
 * its connections) can still take its batches out of order. Nothing is lost or applied twice
 * either way; only which of two payments a short wallet pays may change.
 */
export class LockTurns {
  /** Per terminal, the uploads that have not yet taken its lock: their lowest seq, and a signal. */
  private readonly waiting = new Map<string, Set<{ seq: number; locked: Promise<void> }>>();

  /**
   * Runs `work` once every earlier upload of `terminalId` with lower seqs has taken the lock.
   * `work` calls `locked` once it holds the lock (again on a retry: harmless). Without a seq (an
   * upload of the journal head alone) there is nothing to order.
   */
  async run<T>(terminalId: string, seq: number | undefined, work: (locked: () => void) => Promise<T>) {
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
    try {
      await Promise.all(ahead);
      return await work(locked);
    } finally {
      locked();
    }
  }
}
