import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { html } from "../lib/html.ts";
import { bytes } from "../lib/format.ts";
import type { BerthObject } from "../lib/objects.ts";
import { useStats, type StatsSample } from "../lib/stats.ts";
import { Notice, Section } from "./common.ts";

/** SAMPLE_PERIOD_MS and KEEP: three seconds apart, five minutes of history on screen. */
const SAMPLE_PERIOD_MS = 3_000;
const KEEP = 100;

/** PALETTE gives replicas distinct colours readable on both themes. */
const PALETTE = ["#2f7ed8", "#d9534f", "#2b9348", "#b5651d", "#8e44ad", "#0f8b8d"];

/** Metrics charts an App's CPU and memory per replica from Docker's stats; uPlot is loaded only when this opens. */
export function Metrics({ app }: { app: BerthObject }) {
  const { samples, error } = useStats(app.metadata.namespace, app.metadata.name, SAMPLE_PERIOD_MS, KEEP);
  const latest = samples[samples.length - 1];
  return html`
    ${error ? html`<${Notice} kind="error">${error}</${Notice}>` : null}
    <${Section} title="CPU">
      <${Chart} samples=${samples} label="CPU use per replica, percent of one core" pick=${(r: { cpuPercent?: number }) => r.cpuPercent} unit="%" format=${(v: number) => `${v.toFixed(1)} %`} />
    </${Section}>
    <${Section} title="Memory">
      <${Chart} samples=${samples} label="Memory use per replica" pick=${(r: { memoryBytes?: number }) => r.memoryBytes} unit="bytes" format=${(v: number) => bytes(v)} />
    </${Section}>
    ${latest ? html`<p class="muted" aria-live="polite">Sampled every ${SAMPLE_PERIOD_MS / 1000}s · ${latest.items.length} replica(s)</p>` : html`<p class="muted">Sampling…</p>`}`;
}

type Pick = (r: StatsSample["items"][number]) => number | undefined;

function Chart({ samples, label, pick, format }: { samples: StatsSample[]; label: string; pick: Pick; unit: string; format: (v: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const [lib, setLib] = useState<typeof uPlot | undefined>(undefined);
  const [loadError, setLoadError] = useState("");
  useEffect(() => {
    let cancelled = false;
    // A chunk caught by a network blip is fetched again rather than leaving the chart empty for good.
    const load = (attempt: number) =>
      import("uplot").then(
        (m) => !cancelled && setLib(() => m.default),
        (err: Error) => {
          if (cancelled) return;
          if (attempt < 5) setTimeout(() => load(attempt + 1), 500 * attempt);
          else setLoadError(`Could not load the charts: ${err.message}`);
        },
      );
    void load(1);
    return () => {
      cancelled = true;
      plot.current?.destroy();
    };
  }, []);
  const replicas = [...new Set(samples.flatMap((s) => s.items.map((i) => i.replica)))].sort((a, b) => a - b);
  const data: uPlot.AlignedData = [
    samples.map((s) => Date.parse(s.timestamp) / 1000),
    ...replicas.map((r) => samples.map((s) => pick(s.items.find((i) => i.replica === r) ?? { replica: r, container: "" }) ?? null)),
  ];
  const shape = replicas.join(",");
  useEffect(() => {
    if (!lib || !box.current) return;
    plot.current?.destroy();
    const width = Math.max(240, box.current.clientWidth);
    plot.current = new lib(
      {
        width,
        height: 180,
        series: [{}, ...replicas.map((r, i) => ({ label: `replica ${r}`, stroke: PALETTE[i % PALETTE.length], width: 2, value: (_u: uPlot, v: number | null) => (v === null ? "–" : format(v)) }))],
        axes: [{ stroke: "currentColor" }, { stroke: "currentColor", size: 70, values: (_u: uPlot, ticks: number[]) => ticks.map(format) }],
        scales: { x: { time: true } },
        legend: { show: true },
      },
      data,
      box.current,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, box.current?.clientWidth ?? width), height: 180 }));
    resize.observe(box.current);
    return () => resize.disconnect();
  }, [lib, shape]);
  useEffect(() => {
    plot.current?.setData(data);
  });
  const last = samples[samples.length - 1];
  const summary = last ? last.items.map((i) => `replica ${i.replica}: ${pick(i) !== undefined ? format(pick(i)!) : "no sample"}`).join("; ") : "no samples yet";
  if (loadError) return html`<${Notice} kind="error">${loadError}</${Notice}>`;
  return html`<figure class="chart">
    <div ref=${box} class="chart-box" role="img" aria-label=${`${label}. Latest: ${summary}`}></div>
    <figcaption class="muted">${label}</figcaption>
  </figure>`;
}
