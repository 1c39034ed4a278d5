import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt, insertPayment } from './testing.ts';

describe('migration 0003: payment code vault', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('keeps raw codes apart, one per existing payment, erasable without touching history', () => {
    const t = databaseAt(3);
    cleanup = t.cleanup;
    insertPayment(t.db, { seq: 1 });
    t.db.prepare("INSERT INTO payment_code_vault (seq, code) VALUES (1, '281234567890123456')").run();
    expect(() => t.db.prepare("INSERT INTO payment_code_vault (seq, code) VALUES (2, '28')").run()).toThrow(
      /FOREIGN KEY/,
    );
    expect(() => t.db.prepare("INSERT INTO payment_code_vault (seq, code) VALUES (1, '28')").run()).toThrow(
      /UNIQUE|PRIMARY/,
    );
    t.db.prepare('DELETE FROM payment_code_vault WHERE seq = 1').run();
    expect(t.db.prepare('SELECT count(*) FROM payment_code_vault').pluck().get()).toBe(0);
  });

  it('migrates a journal at version 2 with payments in it', () => {
    const t = databaseAt(2);
    cleanup = t.cleanup;
    insertPayment(t.db, { seq: 1 });
    expect(migrate(t.db, t.file, 3)).toBe(3);
    expect(t.db.prepare('SELECT count(*) FROM payments').pluck().get()).toBe(1);
  });
});
