/**
 * report is the shared shape of Berth's benchmarks: each bench module exports `bench(report)`, records figures on
 * the Report it is given (with a baseline and a goal where it has one), and the runner prints every figure side
 * by side.
 */

/** Baseline is what a figure is compared with, and the ratio it should reach. */
export interface Baseline {
  name: string;
  value: number;
  /** goalRatio: the figure should be at least this many times the baseline (or at most, for lower-is-better). */
  goalRatio?: number;
}

/** Figure is one measured number. */
export interface Figure {
  bench: string;
  name: string;
  value: number;
  unit: string;
  /** higherIsBetter decides how a ratio against the baseline is read (default true). */
  higherIsBetter: boolean;
  baseline?: Baseline;
  note?: string;
}

/** FigureOptions are the optional parts of a figure. */
export interface FigureOptions {
  baseline?: Baseline;
  note?: string;
  higherIsBetter?: boolean;
}

/** Report collects the figures of one run. `signal` aborts when the run's time budget is spent. */
export class Report {
  readonly figures: Figure[] = [];
  readonly signal: AbortSignal;
  private bench = "";
  private readonly log: (line: string) => void;

  constructor(signal: AbortSignal, log: (line: string) => void) {
    this.signal = signal;
    this.log = log;
  }

  /** begin names the bench module whose figures follow. */
  begin(bench: string): void {
    this.bench = bench;
  }

  /** figure records one number and returns it. */
  figure(name: string, value: number, unit: string, options: FigureOptions = {}): Figure {
    const figure: Figure = { bench: this.bench, name, value, unit, higherIsBetter: options.higherIsBetter ?? true };
    if (options.baseline) figure.baseline = options.baseline;
    if (options.note) figure.note = options.note;
    this.figures.push(figure);
    this.progress(`${name}: ${format(value)} ${unit}`);
    return figure;
  }

  /** progress prints a line while a bench runs (to stderr, so stdout holds only the table). */
  progress(line: string): void {
    this.log(`[${this.bench}] ${line}`);
  }

  /** missedGoals lists the figures that did not reach their goal against their baseline. */
  missedGoals(): Figure[] {
    return this.figures.filter((f) => goalMet(f) === false);
  }

  /** table renders every figure as an aligned text table. */
  table(): string {
    const header = ["bench", "figure", "value", "unit", "baseline", "ratio", "goal", "note"];
    const rows = this.figures.map((f) => {
      const ratio = f.baseline && f.baseline.value > 0 ? f.value / f.baseline.value : undefined;
      const met = goalMet(f);
      return [
        f.bench,
        f.name,
        format(f.value),
        f.unit,
        f.baseline ? `${f.baseline.name}: ${format(f.baseline.value)}` : "",
        ratio === undefined ? "" : `${ratio.toFixed(2)}x`,
        f.baseline?.goalRatio === undefined ? "" : `${f.higherIsBetter ? ">=" : "<="} ${f.baseline.goalRatio}x ${met ? "met" : "MISSED"}`,
        f.note ?? "",
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
  }
}

function goalMet(f: Figure): boolean | undefined {
  const goal = f.baseline?.goalRatio;
  if (goal === undefined || !f.baseline || f.baseline.value <= 0) return undefined;
  const ratio = f.value / f.baseline.value;
  return f.higherIsBetter ? ratio >= goal : ratio <= goal;
}

/** format prints a number with precision that suits its size. */
export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** BenchModule is what a bench file exports. */
export interface BenchModule {
  bench(report: Report): Promise<void>;
}
