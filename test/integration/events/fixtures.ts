import type { NatsConnection } from "nats";
import { admit, type Resource } from "../../../resources/index.ts";
import type { ResourceStore } from "../../../store/index.ts";

/** StoredMessage is one message as JetStream kept it. */
export interface StoredMessage {
  seq: number;
  subject: string;
  text: string;
}

/** readStream returns every message a stream holds, in order (tests keep streams small). */
export async function readStream(nc: NatsConnection, stream: string): Promise<StoredMessage[]> {
  // A short request timeout: a request sent while the server restarts should fail fast and be asked again.
  const jsm = await nc.jetstreamManager({ timeout: 1000 });
  const { state } = await jsm.streams.info(stream);
  const out: StoredMessage[] = [];
  if (state.messages === 0) return out;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    out.push({ seq: m.seq, subject: m.subject, text: new TextDecoder().decode(m.data) });
  }
  return out;
}

/** createApp stores a valid App through the one admission step, as the API would. */
export function createApp(store: ResourceStore, name: string, namespace = "default"): Promise<Resource> {
  return store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace }, spec: { image: "busybox:latest" } }));
}

/** createDatabase stores a valid Database. */
export function createDatabase(store: ResourceStore, name: string, namespace = "default"): Promise<Resource> {
  return store.create(admit({ apiVersion: "berth.dev/v1", kind: "Database", metadata: { name, namespace }, spec: { engine: "postgres" } }));
}

/** waitForStream polls until a stream holds exactly `count` messages (bounded), and returns them. */
export async function waitForStream(nc: NatsConnection, stream: string, count: number, timeoutMs = 10_000): Promise<StoredMessage[]> {
  const deadline = Date.now() + timeoutMs;
  let last: StoredMessage[] = [];
  let error: unknown;
  while (Date.now() < deadline) {
    try {
      last = await readStream(nc, stream);
      if (last.length === count) return last;
    } catch (err) {
      error = err; // the server may be restarting: ask again
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`stream ${stream} holds ${last.length} messages, not ${count}, after ${timeoutMs} ms (last error: ${String(error)})`);
}

/** Teardown registers cleanups that run last-registered-first (node:test runs `t.after` hooks in registration order). */
export interface Teardown {
  after(fn: () => unknown): void;
}

/** teardown gives a test a LIFO cleanup stack, so a client closes before the server it talks to stops. */
export function teardown(t: { after(fn: () => unknown): void }): Teardown {
  const stack: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return { after: (fn) => void stack.push(fn) };
}
