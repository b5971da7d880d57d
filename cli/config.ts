import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parseSimpleConfig } from "./config-file.ts";
import { ConfigError } from "./errors.ts";

/** ConnectionFlags are the command-line overrides of the config file (`--server`, `--token`, `--ca`, `--config`). */
export interface ConnectionFlags {
  server?: string;
  token?: string;
  ca?: string;
  config?: string;
}

/** CliConfig is where and how the CLI talks to berthd, resolved from flags, `BERTH_*` env and the config file. */
export interface CliConfig {
  /** server is the API's base URL, e.g. `https://127.0.0.1:7443`. */
  server: string;
  /** token is the bearer token; absent only for servers that need none (health checks). */
  token?: string;
  /** ca is the PEM of the CA to trust; absent → the system roots. */
  ca?: string;
  /** namespace is the default namespace of namespaced verbs (`namespace:` in the file, else `default`). */
  namespace: string;
  /** configPath is the file that was (or would have been) read. */
  configPath: string;
}

/** defaultConfigPath is `$BERTH_CONFIG`, else `~/.berth/config.yaml`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  return env.BERTH_CONFIG || join(home, ".berth", "config.yaml");
}

/**
 * loadConfig resolves the connection: each of server, token and CA comes from the first of the flag, the
 * `BERTH_SERVER`/`BERTH_TOKEN`/`BERTH_CA` variable and the config file that sets it. The CA may be a PEM path
 * (relative paths in the file are relative to the file) or the PEM itself.
 */
export async function loadConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv, home: string = homedir()): Promise<CliConfig> {
  const configPath = expandHome(flags.config || defaultConfigPath(env, home), home);
  const file = await readConfigFile(configPath);
  const server = flags.server || env.BERTH_SERVER || file.server;
  if (!server) throw new ConfigError(`no server configured: set BERTH_SERVER (and BERTH_TOKEN), pass --server, or write ${configPath} (berthd writes it on first start)`);
  if (!/^https?:\/\//.test(server)) throw new ConfigError(`server "${server}" must be an https:// URL`);
  const caValue = flags.ca || env.BERTH_CA;
  const ca = caValue ? await readCa(caValue, process.cwd(), home) : file.ca ? await readCa(file.ca, dirname(configPath), home) : undefined;
  const token = flags.token || env.BERTH_TOKEN || file.token;
  return {
    server: server.replace(/\/+$/, ""),
    ...(token ? { token } : {}),
    ...(ca ? { ca } : {}),
    namespace: file.namespace || "default",
    configPath,
  };
}

async function readConfigFile(path: string): Promise<Record<string, string | undefined>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const simple = parseSimpleConfig(text);
  if (simple) return simple;
  const { parse } = await import("yaml");
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new ConfigError(`cannot parse ${path}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`${path} must be a mapping with server, token and ca`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (value !== null && value !== undefined && typeof value !== "object") out[key] = String(value);
  return out;
}

async function readCa(value: string, base: string, home: string): Promise<string> {
  if (value.includes("-----BEGIN")) return value;
  const path = expandHome(value, home);
  const full = isAbsolute(path) ? path : resolve(base, path);
  try {
    return await readFile(full, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read the CA certificate ${full}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

function expandHome(path: string, home: string): string {
  return path === "~" || path.startsWith("~/") ? join(home, path.slice(1)) : path;
}
