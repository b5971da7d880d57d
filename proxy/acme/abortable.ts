import { AsyncLocalStorage } from "node:async_hooks";
import { loadAcme } from "./client.ts";

const current = new AsyncLocalStorage<AbortSignal>();
let installed = false;

/**
 * withAbortSignal runs `fn` so that every ACME request it makes (through acme-client's shared axios instance)
 * carries `signal`: once aborted, the next request fails at once instead of the client retrying for a minute.
 * acme-client has no cancellation of its own; the request's async context says which order a request belongs to.
 */
export async function withAbortSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const acme = await loadAcme();
  if (!installed) {
    installed = true;
    acme.axios.interceptors.request.use((config) => {
      const active = current.getStore();
      if (active) {
        if (active.aborted) throw new Error("the ACME order was cancelled: the controller is stopping");
        config.signal = active;
      }
      return config;
    });
  }
  return current.run(signal, fn);
}
