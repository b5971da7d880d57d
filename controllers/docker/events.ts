import type { Logger } from "../../lib/logger.ts";
import type { DockerClient } from "./client.ts";

/** DockerEvent is one event of the Engine's `/events` stream, reduced to what controllers map to keys. */
export interface DockerEvent {
  type: string;
  action: string;
  id: string;
  labels: Record<string, string>;
  /** timeNano is the Engine's timestamp, in nanoseconds. */
  timeNano: number;
}

/** DockerEventStreamOptions: `filters` are the Engine's event filters (`{type: ["container"], label: ["berth.dev/kind=App"]}`). */
export interface DockerEventStreamOptions {
  filters: Record<string, string[]>;
  onEvent: (event: DockerEvent) => void;
  /** onReconnect runs after the stream came back from a break: events may have been missed, so resync. */
  onReconnect?: () => void;
  logger: Logger;
  /** retryMs is the first delay before reconnecting; it doubles up to `maxRetryMs` (defaults 500 ms, 30 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
}

/**
 * DockerEventStream follows the Engine's event stream and reconnects with backoff when it breaks (dockerd
 * restarted, socket closed), replaying from the last event seen (`since`) and calling `onReconnect`.
 */
export class DockerEventStream {
  private readonly docker: DockerClient;
  private readonly options: DockerEventStreamOptions;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSeconds: number | undefined;
  private failures = 0;
  private running = false;
  private connectedOnce = false;

  constructor(docker: DockerClient, options: DockerEventStreamOptions) {
    this.docker = docker;
    this.options = options;
  }

  /** start connects; it returns at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  /** stop closes the stream and cancels a pending reconnect. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.abort?.abort();
    this.abort = undefined;
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const abort = new AbortController();
    this.abort = abort;
    try {
      const since = this.lastSeconds;
      const stream = await this.docker.getEvents({ filters: this.options.filters, ...(since !== undefined ? { since } : {}), abortSignal: abort.signal } as Parameters<DockerClient["getEvents"]>[0]);
      if (this.connectedOnce) {
        this.options.logger.info("docker event stream reconnected");
        this.options.onReconnect?.();
      }
      this.connectedOnce = true;
      this.failures = 0;
      await this.read(stream);
      if (this.running) this.options.logger.warn("docker event stream ended");
    } catch (err) {
      if (!this.running || abort.signal.aborted) return;
      this.options.logger.warn({ err }, "docker event stream failed");
    }
    this.scheduleReconnect();
  }

  private read(stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve) => {
      let buffer = "";
      stream.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) this.deliver(line);
        }
      });
      stream.on("end", () => resolve());
      stream.on("close", () => resolve());
      stream.on("error", () => resolve());
    });
  }

  private deliver(line: string): void {
    let raw: RawEvent;
    try {
      raw = JSON.parse(line) as RawEvent;
    } catch {
      this.options.logger.warn(`unparseable docker event skipped: ${line.slice(0, 200)}`);
      return;
    }
    const timeNano = raw.timeNano ?? Date.now() * 1e6;
    this.lastSeconds = Math.floor(timeNano / 1e9);
    const event: DockerEvent = { type: raw.Type ?? "", action: raw.Action ?? "", id: raw.Actor?.ID ?? "", labels: raw.Actor?.Attributes ?? {}, timeNano };
    try {
      this.options.onEvent(event);
    } catch (err) {
      this.options.logger.error({ err }, `docker event handler failed on ${event.type} ${event.action}`);
    }
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const base = this.options.retryMs ?? 500;
    const delay = Math.min(this.options.maxRetryMs ?? 30_000, base * 2 ** this.failures++);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
