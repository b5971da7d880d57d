import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * lazyModule returns a getter that loads a CommonJS package on first call and then returns the same module.
 * For packages only some requests need (YAML bodies, JSON patches, cron schedules): loaded at start-up they
 * cost the daemon tens of milliseconds to serving and a few MiB resident each, whether or not they are used.
 * `T` is the package's type: `lazyModule<typeof import("yaml")>("yaml")`.
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
