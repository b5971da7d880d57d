import type { Request, Response } from "express";
import type { Logger } from "pino";
import type { WatchRegistry } from "./watch-registry.ts";

/** MAX_BUFFERED_BYTES: a watcher that falls this far behind is cut off (it lists again and re-watches), so a slow client cannot grow the server's memory. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** WatchStream is the wire side of one HTTP watch: newline-delimited JSON events, flushed one by one. */
export interface WatchStream {
  /** send writes one `{"type","object"}` line; it is a no-op once the stream has ended. */
  send(type: string, object: unknown): void;
  /** sendLine writes a line already serialised (see eventLine); a no-op once the stream has ended. */
  sendLine(line: WatchLine): void;
  /** end closes the stream (idempotent) and runs the cleanups. */
  end(): void;
  /** onEnd registers a cleanup, run once when the stream ends for any reason. */
  onEnd(cleanup: () => void): void;
  readonly ended: boolean;
}

/** WatchStreamOptions: the registry that shutdown uses, an optional `timeoutSeconds`, and the log for cut-off watchers. */
export interface WatchStreamOptions {
  watches: WatchRegistry;
  logger: Logger;
  timeoutSeconds?: number;
  /** owner is the token the watch counts against (see WatchRegistry's per-token limit). */
  owner?: string;
}

/** KEEPALIVE_MS: a watch may stay silent for hours, so a client that vanished is found by TCP keepalive probes. */
const KEEPALIVE_MS = 60_000;

/**
 * openWatchStream answers 200 with a chunked `application/json` body that stays open: no compression, no
 * idle timeout (TCP keepalive finds a vanished client instead), Nagle off, each event written (and so
 * flushed) as soon as it is sent. It ends at `timeoutSeconds`, when the client goes away, when the client
 * falls too far behind, or at server shutdown. A token already at its limit of open watches gets
 * TooManyRequestsError (429) before anything is written.
 */
export function openWatchStream(req: Request, res: Response, options: WatchStreamOptions): WatchStream {
  const cleanups: Array<() => void> = [];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    for (const cleanup of cleanups.splice(0)) cleanup();
    res.end();
  };
  cleanups.push(options.watches.add(end, options.owner));
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff" });
  res.flushHeaders();
  req.socket.setTimeout(0);
  req.socket.setKeepAlive(true, KEEPALIVE_MS);
  req.socket.setNoDelay(true);
  if (options.timeoutSeconds !== undefined && options.timeoutSeconds > 0) {
    const timer = setTimeout(end, options.timeoutSeconds * 1000);
    cleanups.push(() => clearTimeout(timer));
  }
  res.on("close", end);
  // Lines go to the socket as they are, framed as HTTP chunks when the response is chunked (HTTP/1.1): one write
  // of one buffer shared by every watcher of the event, where res.write would make four writes of its own per
  // watcher. As with res.write, the socket is corked until the next tick, so a write made while a store event
  // is being delivered leaves after the whole delivery has been queued, and the writer is acknowledged first.
  const socket = res.socket!;
  const chunked = res.chunkedEncoding;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const sendLine = (line: WatchLine) => {
    if (ended || socket.destroyed) return;
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    socket.write(chunked ? line.chunk() : line.bytes);
    if (socket.writableLength > MAX_BUFFERED_BYTES) {
      options.logger.warn({ path: req.path, buffered: socket.writableLength }, "watch client too slow; closing its watch");
      end();
    }
  };
  return {
    send: (type, object) => sendLine(new WatchLine(`${JSON.stringify({ type, object })}\n`)),
    sendLine,
    end,
    onEnd(cleanup) {
      if (ended) cleanup();
      else cleanups.push(cleanup);
    },
    get ended() {
      return ended;
    },
  };
}

/** WatchLine is one serialised watch event: its bytes, and the same bytes framed as an HTTP/1.1 chunk (made once, on first use). */
export class WatchLine {
  readonly bytes: Buffer;
  private framed: Buffer | undefined;

  constructor(text: string) {
    this.bytes = Buffer.from(text, "utf8");
  }

  /** chunk is `<size in hex>\r\n<bytes>\r\n`. */
  chunk(): Buffer {
    if (this.framed) return this.framed;
    const size = `${this.bytes.length.toString(16)}\r\n`;
    const framed = Buffer.allocUnsafe(size.length + this.bytes.length + 2);
    framed.write(size, 0, "latin1");
    this.bytes.copy(framed, size.length);
    framed.write("\r\n", size.length + this.bytes.length, "latin1");
    return (this.framed = framed);
  }
}

const lines = new WeakMap<object, Map<string, WatchLine>>();

/**
 * eventLine serialises a watch event once for every watcher that sends the same thing: a store event reaches
 * each matching watcher with the same frozen object, and with a hundred watchers serialising it a hundred times
 * would be most of the delivery cost. `variant` names the rendering (plain JSON, a Table with some includeObject).
 */
export function eventLine(source: object, type: string, variant: string, render: () => unknown): WatchLine {
  let byVariant = lines.get(source);
  if (!byVariant) lines.set(source, (byVariant = new Map()));
  const key = `${type} ${variant}`;
  let line = byVariant.get(key);
  if (line === undefined) byVariant.set(key, (line = new WatchLine(`${JSON.stringify({ type, object: render() })}\n`)));
  return line;
}
