import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, readLines, request } from "../lib/api.ts";
import { html } from "../lib/html.ts";

/** MAX_LINES bounds what the page keeps; older lines scroll away (the CLI reads any amount). */
const MAX_LINES = 5_000;
const TAIL_LINES = 500;
/** RETRY_MS is the first wait before reconnecting; it doubles up to MAX_RETRY_MS while the API keeps refusing (no containers yet). */
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 5_000;

interface Line {
  id: number;
  prefix: string;
  time: string;
  text: string;
}

/** LINE splits `[replica-0] 2026-01-01T00:00:00.123456789Z text` (the prefix is absent with one replica picked). */
const LINE = /^(\[[^\]]*\] )?(\d{4}-\d\d-\d\dT[0-9:.]+Z) ?(.*)$/;

/**
 * LogView follows a log endpoint (`.../apps/<name>/log?follow=1`) as it is written: lines are pushed by the
 * server, never polled. When the stream ends (a rollout replaced the containers, the daemon restarted) it
 * reconnects and continues from the last timestamp it showed, skipping lines already on screen. Search
 * filters what is kept; Follow keeps the newest line in view.
 */
export function LogView({ path, label, endsWhenDone = false }: { path: string; label: string; endsWhenDone?: boolean }) {
  const lines = useRef<Line[]>([]);
  const [, setVersion] = useState(0);
  const [state, setState] = useState<{ live: boolean; message: string }>({ live: false, message: "Connecting…" });
  const [search, setSearch] = useState("");
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    let nextId = 0;
    let last: Line | undefined;
    /** newest timestamp shown per replica: Docker orders each container's lines, so anything not newer is a repeat. */
    const newest = new Map<string, string>();
    let frame = 0;
    const render = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    };
    /** timestamped: the endpoint prefixes Docker's timestamps (App logs); without them a reconnect re-reads the whole log. */
    let timestamped = false;
    const onLine = (raw: string) => {
      const m = LINE.exec(raw);
      const line: Line = m ? { id: nextId++, prefix: m[1] ?? "", time: m[2]!, text: m[3] ?? "" } : { id: nextId++, prefix: "", time: "", text: raw };
      // After a reconnect the first lines repeat what is on screen.
      if (line.time) {
        timestamped = true;
        const seen = newest.get(line.prefix);
        if (seen !== undefined && line.time <= seen) return;
        newest.set(line.prefix, line.time);
      }
      lines.current.push(line);
      if (lines.current.length > MAX_LINES) lines.current.splice(0, lines.current.length - MAX_LINES);
      last = line;
    };
    const run = async () => {
      let wait = RETRY_MS;
      while (!abort.signal.aborted) {
        const query = new URLSearchParams({ follow: "1", timestamps: "1" });
        if (last?.time) query.set("sinceSeconds", String(Math.max(1, Math.ceil((Date.now() - Date.parse(last.time)) / 1000) + 1)));
        else query.set("tailLines", String(TAIL_LINES));
        try {
          const response = await request(`${path}?${query}`, { accept: "text/plain", signal: abort.signal });
          if (lines.current.length > 0 && !timestamped) {
            lines.current = [];
            render();
          }
          setState({ live: true, message: "Following" });
          wait = RETRY_MS;
          await readLines(response, onLine, render);
          if (abort.signal.aborted) return;
          // A Build's log ends with the build: there is nothing more to wait for.
          if (endsWhenDone) {
            setState({ live: false, message: "The log is complete." });
            return;
          }
          setState({ live: false, message: "The log stream ended; reconnecting…" });
        } catch (err) {
          if (abort.signal.aborted) return;
          setState({ live: false, message: err instanceof ApiError ? `${err.message}; retrying…` : "Disconnected; reconnecting…" });
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    };
    void run();
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [path]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  });

  const needle = search.toLowerCase();
  const shown = needle ? lines.current.filter((l) => l.text.toLowerCase().includes(needle) || l.prefix.toLowerCase().includes(needle)) : lines.current;
  return html`<div class="logs">
    <div class="log-tools">
      <div class="field grow">
        <label for="log-search">Search</label>
        <input id="log-search" type="search" value=${search} onInput=${(e: Event) => setSearch((e.currentTarget as HTMLInputElement).value)} autocomplete="off" spellcheck=${false} />
      </div>
      <label class="check"><input type="checkbox" checked=${follow} onChange=${(e: Event) => setFollow((e.currentTarget as HTMLInputElement).checked)} /> Follow</label>
      <p class=${`conn ${state.live ? "conn-live" : "conn-connecting"}`} role="status" data-log-state=${state.live ? "live" : "waiting"}>${state.message}</p>
    </div>
    <p class="muted small" aria-live="polite">${needle ? `${shown.length} of ${lines.current.length} lines match` : `${lines.current.length} lines`}</p>
    <div class="log-box" ref=${box} tabindex="0" role="log" aria-label=${`Log of ${label}`}>
      ${shown.map((l) => html`<div class="log-line" key=${l.id}>${l.time ? html`<span class="log-time">${l.time.slice(11, 23)}</span> ` : null}${l.prefix ? html`<span class="log-prefix">${l.prefix}</span>` : null}${l.text}</div>`)}
    </div>
  </div>`;
}
