/**
 * A payment's terminal must exist: checked once per INSERT statement instead of once per row.
 *
 * The foreign key payments.terminal_id → terminals checked each inserted row on its own (a lookup
 * and a KEY SHARE lock of the terminal's row, per row): a sync batch of a thousand payments looked
 * up its one terminal a thousand times, about a tenth of the batch's time in PostgreSQL. It gives
 * way to a statement trigger that looks up each distinct terminal of the rows the statement
 * inserted, once. What else the key guarded is kept by refusing what could break it, a little more
 * than the key refused: a terminal is never deleted (it is revoked), even one without payments;
 * terminals are never truncated; neither a terminal's id nor a payment's terminal ever changes.
 * Nothing in the core does any of these. Unlike the key, the triggers can be switched off (ALTER
 * TABLE ... DISABLE TRIGGER), and a data-only dump no longer orders terminals before payments:
 * restore one with pg_restore --disable-triggers, or the schema first and then the data.
 *
 * The tables are locked first, terminals before payments, the order every core transaction takes
 * them in: dropping the key locks both, and taking payments first could deadlock with a core still
 * serving. The functions carry the search_path of the migration, so that an insert under another
 * search_path (a restore sets an empty one) still finds the terminals table.
 */
export const migration = {
  version: 3,
  name: 'terminal-check-per-statement',
  sql: `
    LOCK TABLE terminals, payments IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE payments DROP CONSTRAINT payments_terminal_id_fkey;

    CREATE FUNCTION payments_terminal_known() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    DECLARE
      unknown text;
    BEGIN
      SELECT i.terminal_id INTO unknown
      FROM (SELECT DISTINCT terminal_id FROM inserted) i
      WHERE NOT EXISTS (SELECT 1 FROM terminals t WHERE t.terminal_id = i.terminal_id)
      LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'a payment of terminal %, which is not among the terminals', unknown
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER payments_terminal_known AFTER INSERT ON payments
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION payments_terminal_known();

    CREATE FUNCTION refuse_terminal_change() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
      RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'foreign_key_violation';
    END $$;
    CREATE TRIGGER terminals_never_deleted BEFORE DELETE ON terminals FOR EACH ROW
      EXECUTE FUNCTION refuse_terminal_change('a terminal is revoked, never deleted: its payments name it');
    CREATE TRIGGER terminals_never_truncated BEFORE TRUNCATE ON terminals FOR EACH STATEMENT
      EXECUTE FUNCTION refuse_terminal_change('a terminal is revoked, never deleted: its payments name it');
    CREATE TRIGGER terminals_id_fixed BEFORE UPDATE OF terminal_id ON terminals FOR EACH ROW
      WHEN (OLD.terminal_id IS DISTINCT FROM NEW.terminal_id)
      EXECUTE FUNCTION refuse_terminal_change('a terminal''s id never changes: its payments name it');
    CREATE TRIGGER payments_terminal_fixed BEFORE UPDATE OF terminal_id ON payments FOR EACH ROW
      WHEN (OLD.terminal_id IS DISTINCT FROM NEW.terminal_id)
      EXECUTE FUNCTION refuse_terminal_change('a payment''s terminal never changes');
  `,
};
