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

/** bulkyApp is an admitted App whose change message is about 1.5 KB, the size of a realistic App. */
export function bulkyApp(name: string, namespace = "default"): Resource {
  const env = Array.from({ length: 16 }, (_, i) => ({ name: `SETTING_${i}`, value: `value-${i}-${"x".repeat(20)}` }));
  return admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace, labels: { tier: "web" } }, spec: { image: "registry.example/team/web:1.4.2", port: 8080, env } });
}

/**
 * readStreamFast reads a whole stream through an ordered consumer (one request per batch rather than per
 * message), for streams of thousands of messages. Bounded by `timeoutMs`.
 */
export async function readStreamFast(nc: NatsConnection, stream: string, timeoutMs = 30_000): Promise<StoredMessage[]> {
  const jsm = await nc.jetstreamManager({ timeout: 2000 });
  const { state } = await jsm.streams.info(stream);
  const out: StoredMessage[] = [];
  if (state.messages === 0) return out;
  const consumer = await nc.jetstream().consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 1000 });
  const timer = setTimeout(() => void messages.close(), timeoutMs);
  try {
    const decoder = new TextDecoder();
    for await (const m of messages) {
      out.push({ seq: m.seq, subject: m.subject, text: decoder.decode(m.data) });
      if (m.seq >= state.last_seq) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close();
  }
  if (out.length !== state.messages) throw new Error(`read ${out.length} of the ${state.messages} messages of ${stream} within ${timeoutMs} ms`);
  return out;
}
