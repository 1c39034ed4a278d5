/** The simulator behind the drivers' Transport interface: the real printer driver on it, no socket. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Printer } from '../../drivers/printer/printer.ts';
import { PROFILES } from '../../drivers/printer/profiles.ts';
import { PrinterSimulator } from './simulator.ts';

const profile = PROFILES['epson-80'] as NonNullable<(typeof PROFILES)[string]>;

describe('SimulatedPrinterTransport', () => {
  let sim: PrinterSimulator;
  beforeEach(async () => {
    sim = new PrinterSimulator();
    await sim.start();
  });
  afterEach(() => sim.stop());

  it('carries a print job and its status reads, like a cable', async () => {
    const printer = new Printer({ transport: sim.transport(), profile, statusTimeoutMs: 5_000 });
    expect(await printer.status()).toMatchObject({ online: true, paperOut: false });
    await printer.print({
      cut: true,
      blocks: [
        { kind: 'text', text: '收款小票' },
        { kind: 'qr', data: 'sp-1' },
      ],
    });
    expect(
      sim.receipts.map((r) => ({ lines: r.lines.map((l) => l.text), qrs: r.qrs.map((q) => q.data) })),
    ).toEqual([{ lines: ['收款小票', '', '', '', '', ''], qrs: ['sp-1'] }]);
    expect(sim.stats.connections).toBe(1);
    sim.setState({ coverOpen: true });
    await expect(printer.print({ cut: true, blocks: [{ kind: 'text', text: 'x' }] })).rejects.toMatchObject({
      code: 'COVER_OPEN',
    });
    await printer.close();
  });

  it('disconnectAll() unplugs it: the driver sees OFFLINE, then reconnects; a stopped printer refuses', async () => {
    const transport = sim.transport();
    const printer = new Printer({ transport, profile, statusTimeoutMs: 5_000 });
    await printer.status();
    const closes: unknown[] = [];
    transport.on('close', (err) => closes.push(err));
    expect(sim.disconnectAll()).toBe(1);
    expect(closes).toEqual([expect.objectContaining({ code: 'DISCONNECTED' })]);
    expect(await printer.status()).toMatchObject({ online: true });
    await sim.stop();
    await expect(printer.status()).rejects.toMatchObject({ code: 'OFFLINE' });
  });
});
