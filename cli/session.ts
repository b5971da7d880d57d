import { loadConfig, type CliConfig, type ConnectionFlags } from "./config.ts";
import { ApiClient } from "./http-client.ts";

/** CliIO is everything a verb touches outside itself, so tests can run verbs in process with captured output. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** readStdin returns all of standard input (for `-f -`). */
  readStdin(): Promise<string>;
  env: NodeJS.ProcessEnv;
  /** home is the user's home directory (where `~/.berth/config.yaml` lives). */
  home?: string;
}

/** processIO is CliIO over the real process. */
export function processIO(): CliIO {
  // `berth get apps | head -1` closes the pipe early: that ends the CLI quietly, as it ends kubectl.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    env: process.env,
  };
}

/**
 * CliSession is one run of the CLI: its IO, its connection flags, and the config and API client, both created
 * on first use (so `version --client` reads no file and opens no connection).
 */
export class CliSession {
  readonly io: CliIO;
  private readonly flags: ConnectionFlags & { requestTimeoutMs?: number };
  private configPromise: Promise<CliConfig> | undefined;
  private clientPromise: Promise<ApiClient> | undefined;

  constructor(io: CliIO, flags: ConnectionFlags & { requestTimeoutMs?: number }) {
    this.io = io;
    this.flags = flags;
  }

  /** config resolves flags, environment and the config file once. */
  config(): Promise<CliConfig> {
    this.configPromise ??= loadConfig(this.flags, this.io.env, this.io.home);
    return this.configPromise;
  }

  /** client returns the API client, creating it on first use. */
  client(): Promise<ApiClient> {
    this.clientPromise ??= this.config().then((config) => new ApiClient(config, this.flags.requestTimeoutMs ? { timeoutMs: this.flags.requestTimeoutMs } : {}));
    return this.clientPromise;
  }

  /**
   * connectEarly creates the client and opens its connection in the background, so the TLS handshake overlaps
   * with loading the verb's code. A failure here (no config, server down) is left for the verb's own first use
   * of the client to report.
   */
  connectEarly(): void {
    this.client().then(
      (client) => client.connectEarly(),
      () => {},
    );
  }

  /** namespace is the `-n` flag, else the config file's `namespace:`, else `default`. */
  async namespace(flag: string | undefined): Promise<string> {
    return flag || (await this.config()).namespace;
  }

  /** close releases the client's connections. */
  async close(): Promise<void> {
    if (!this.clientPromise) return;
    try {
      (await this.clientPromise).close();
    } catch {
      // The client was never created (bad config): there is nothing to release.
    }
  }
}
