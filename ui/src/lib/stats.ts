import { useEffect, useState } from "preact/hooks";
import { getJson, objectPath } from "./api.ts";

/** ReplicaStats is one replica's usage from `.../apps/<name>/stats`. */
export interface ReplicaStats {
  replica: number;
  container: string;
  cpuPercent?: number;
  memoryBytes?: number;
  memoryLimitBytes?: number;
  error?: string;
}

/** StatsSample is one answer of the stats endpoint. */
export interface StatsSample {
  timestamp: string;
  items: ReplicaStats[];
}

/**
 * useStats samples an App's containers every `periodMs` while the view is open and the tab visible (Docker
 * has no change feed for usage: this is the one thing the UI polls). Samples are kept, newest last, up to `keep`.
 */
export function useStats(namespace: string, name: string, periodMs: number, keep: number): { samples: StatsSample[]; error: string } {
  const [state, setState] = useState<{ samples: StatsSample[]; error: string }>({ samples: [], error: "" });
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (document.visibilityState === "visible") {
        try {
          const sample = await getJson<StatsSample>(`${objectPath("apps", namespace, name)}/stats`, { signal: abort.signal });
          setState((s) => ({ samples: [...s.samples, sample].slice(-keep), error: "" }));
        } catch (err) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, error: (err as Error).message }));
        }
      }
      if (!abort.signal.aborted) timer = setTimeout(tick, periodMs);
    };
    void tick();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [namespace, name, periodMs, keep]);
  return state;
}
