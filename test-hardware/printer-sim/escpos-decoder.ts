/**
 * The printer simulator's ESC/POS decoder: bytes in, receipts and status requests out.
 *
 * Pure and streaming. It frames the stream (`escpos-parser.ts`), asks the printer's mechanism
 * (`PrinterControl`) whether each command is executed, and builds the paper model
 * (`receipt-model.ts`). It imports nothing from `drivers/` or `device/`: it is the independent check
 * of the driver's bytes.
 */
import { EscPosParser, type EscPosParserOptions, isRealTime } from './escpos-parser.ts';
import { type DrawerPulse, type Receipt, ReceiptBuilder } from './receipt-model.ts';

export type {
  Align,
  EscPosCommand,
  EscPosParserOptions,
  Font,
  QrErrorCorrection,
  TextEncoding,
} from './escpos-parser.ts';
export type {
  DrawerPulse,
  Receipt,
  ReceiptBarcode,
  ReceiptElement,
  ReceiptImage,
  ReceiptLine,
  ReceiptQr,
  TextSpan,
  TextStyle,
} from './receipt-model.ts';

/**
 * What the decoder asks the printer it runs in. Both methods are called synchronously from `push`,
 * in stream order, at the moment a command is framed, so that a state change mid-chunk (paper
 * running out) applies from exactly that command on. They must not call back into the decoder.
 */
export interface PrinterControl {
  /**
   * Whether to execute a command that is not real-time, of `byteLength` stream bytes. False
   * discards it: it never reaches the receipt model (an offline printer, no paper, cover open).
   */
  admit(byteLength: number): boolean;
  /** The byte a printer answers to `DLE EOT n` now, or undefined for no answer. */
  statusAnswer(n: number): number | undefined;
}

/** Something the host of the decoder may act on, in stream order. `offset` counts stream bytes. */
export type DecoderEvent =
  /** `DLE EOT n`, with the answer the printer gives (undefined: none). Never content. */
  | { type: 'status-request'; n: number; answer: number | undefined; offset: number }
  /** A receipt was cut off. */
  | { type: 'receipt'; receipt: Receipt }
  | { type: 'drawer-pulse'; pulse: DrawerPulse }
  /** `GS a n`: the host asked for automatic status back with this mask (recorded, not simulated). */
  | { type: 'auto-status-back'; mask: number; offset: number }
  /** Bytes that frame no known command, skipped. */
  | { type: 'unknown'; bytes: Uint8Array; offset: number }
  /** A command the printer executes but a driver would not mean to send like that. */
  | { type: 'warning'; message: string; offset: number };

export interface DecoderCounters {
  /** Bytes pushed. */
  bytes: number;
  /** Commands framed (each character counts as one). */
  commands: number;
  /** Characters executed (printed or waiting in the line buffer). */
  characters: number;
  /** Characters outside Chinese mode from a byte >= 0x7F (code-page text). */
  codePageCharacters: number;
  /** 4-byte GB18030 characters: field notes say real printers usually cannot print these. */
  gb18030FourByte: number;
  /** Bytes that were no valid GB18030 character in Chinese mode. */
  invalidCharacters: number;
  unknown: number;
  warnings: number;
  statusRequests: number;
  /** Status requests answered (not silent, n in 1..4). */
  statusAnswers: number;
  /** Commands refused by `PrinterControl.admit`, and their bytes. */
  discardedCommands: number;
  discardedBytes: number;
}

export interface EscPosDecoderOptions extends EscPosParserOptions {
  /** Default: every command executed, status requests not answered. */
  control?: PrinterControl;
}

const ALWAYS_PRINTING: PrinterControl = Object.freeze({ admit: () => true, statusAnswer: () => undefined });

/**
 * Contract:
 * - `push` never throws, for any bytes in any chunking, and returns the events of that chunk in
 *   stream order; the same stream in any chunking gives the same events and the same model.
 * - Real-time commands (`DLE EOT`, `DLE ENQ`, `DLE DC4`) are executed whatever `admit` says; every
 *   other command, each text character included, is first offered to `admit`.
 * - The framing modes (Chinese mode, code page) follow `FS &`, `FS .`, `ESC t` and `ESC @` even
 *   when `admit` refuses them, so the bytes after them are still framed as the driver meant.
 * - A receipt ends at a cut; `receipts` holds those cut off, `pending` what was printed since.
 *   The arrays returned are live views, not copies; do not mutate them.
 */
export class EscPosDecoder {
  private readonly parser: EscPosParser;
  private readonly builder = new ReceiptBuilder();
  private readonly control: PrinterControl;
  private offset = 0;
  private lastAutoStatusBack: number | undefined;
  private readonly count: DecoderCounters = {
    bytes: 0,
    commands: 0,
    characters: 0,
    codePageCharacters: 0,
    gb18030FourByte: 0,
    invalidCharacters: 0,
    unknown: 0,
    warnings: 0,
    statusRequests: 0,
    statusAnswers: 0,
    discardedCommands: 0,
    discardedBytes: 0,
  };

  constructor(options: EscPosDecoderOptions = {}) {
    this.parser = new EscPosParser(options);
    this.control = options.control ?? ALWAYS_PRINTING;
  }

  get receipts(): readonly Receipt[] {
    return this.builder.receipts;
  }

  get pending(): Receipt {
    return this.builder.pending;
  }

  /** Text received since the last line feed, not yet printed. */
  get currentLine(): string {
    return this.builder.currentLine;
  }

  get drawerPulses(): readonly DrawerPulse[] {
    return this.builder.drawerPulses;
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<DecoderCounters> {
    return { ...this.count };
  }

  /** The mask of the last `GS a n` executed, if any. */
  get autoStatusBack(): number | undefined {
    return this.lastAutoStatusBack;
  }

  get inChineseMode(): boolean {
    return this.parser.inChineseMode;
  }

  push(chunk: Uint8Array): DecoderEvent[] {
    this.count.bytes += chunk.length;
    const events: DecoderEvent[] = [];
    for (const command of this.parser.push(chunk)) {
      const offset = this.offset;
      this.offset += command.length;
      this.count.commands += 1;
      if (command.type === 'unknown') {
        this.count.unknown += 1;
        events.push({ type: 'unknown', bytes: command.bytes, offset });
        continue;
      }
      if (command.type === 'status-request') {
        const answer = this.control.statusAnswer(command.n);
        this.count.statusRequests += 1;
        if (answer !== undefined) this.count.statusAnswers += 1;
        events.push({ type: 'status-request', n: command.n, answer, offset });
        continue;
      }
      if (!isRealTime(command) && !this.control.admit(command.length)) {
        this.count.discardedCommands += 1;
        this.count.discardedBytes += command.length;
        continue;
      }
      if (command.type === 'text') {
        this.count.characters += 1;
        if (command.encoding === 'codepage') this.count.codePageCharacters += 1;
        else if (command.encoding === 'gb18030-4') this.count.gb18030FourByte += 1;
        else if (command.encoding === 'invalid') this.count.invalidCharacters += 1;
      }
      for (const notice of this.builder.apply(command)) {
        switch (notice.type) {
          case 'warning':
            this.count.warnings += 1;
            events.push({ type: 'warning', message: notice.message, offset });
            break;
          case 'auto-status-back':
            this.lastAutoStatusBack = notice.mask;
            events.push({ type: 'auto-status-back', mask: notice.mask, offset });
            break;
          default:
            events.push(notice);
        }
      }
    }
    return events;
  }
}
