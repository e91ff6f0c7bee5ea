// Progress for long work: a bar with rate and time left on a terminal, plain periodic lines when
// stdout is not a terminal (CI, logs), nothing with --quiet. Written to stderr so --json stdout
// stays machine-readable.
import cliProgress from "cli-progress";

export interface Progress {
  tick(n?: number, note?: string): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  quiet?: boolean;
  /** Seconds between plain lines when not on a terminal. */
  every?: number;
  stream?: NodeJS.WriteStream;
}

export function progress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const unit = opts.unit ?? "items";
  if (opts.quiet) return { tick() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${opts.label} [{bar}] {value}/{total} ${unit} | {rate}/s | eta {eta_formatted} {note}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    const t0 = Date.now();
    let done = 0;
    bar.start(opts.total, 0, { rate: "0.0", note: "" });
    return {
      tick(n = 1, note = "") {
        done += n;
        const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
        bar.update(done, { rate: rate.toFixed(1), note });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const every = (opts.every ?? 5) * 1000;
  const t0 = Date.now();
  let last = t0;
  let done = 0;
  const line = (note: string) => {
    const el = (Date.now() - t0) / 1000;
    const rate = done / Math.max(1e-3, el);
    const left = rate > 0 ? (opts.total - done) / rate : NaN;
    stream.write(
      `${opts.label}: ${done}/${opts.total} ${unit}, ${rate.toFixed(1)}/s, ${el.toFixed(0)} s elapsed, ` +
        `${Number.isFinite(left) ? left.toFixed(0) : "?"} s left${note ? ` (${note})` : ""}\n`,
    );
  };
  return {
    tick(n = 1, note = "") {
      done += n;
      const now = Date.now();
      if (now - last >= every) {
        last = now;
        line(note);
      }
    },
    stop() {
      line("done");
    },
  };
}
