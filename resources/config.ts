import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { causesOf, describeCauses } from "./define-kind.ts";
import { ValidationError } from "./errors.ts";

/** LETS_ENCRYPT is the default ACME directory (production). */
export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";

const port = z.coerce.number().int().min(0).max(65535);

/**
 * daemonConfig is berthd's configuration, parsed once from flags and `BERTH_*` environment variables (flags win),
 * frozen, and passed to what needs it: no module reads the environment on its own.
 */
export const daemonConfig = z.strictObject({
  dataDir: z.string().min(1).describe("DataDir holds the store, certificates, tokens and the embedded NATS data."),
  apiHost: z.string().default("0.0.0.0").describe("ApiHost is the address the HTTPS API listens on."),
  apiPort: port.default(7443).describe("ApiPort of the HTTPS API (and the web UI)."),
  httpPort: port.default(80).describe("HttpPort the proxy listens on for plain HTTP."),
  httpsPort: port.default(443).describe("HttpsPort the proxy listens on for TLS."),
  natsUrl: z.string().optional().describe("NatsUrl of an existing NATS server; absent → berthd starts its own nats-server."),
  natsCreds: z.string().optional().describe("NatsCreds is a file with the credentials for `natsUrl`: a NATS `.creds` file, or a line `user:password`."),
  natsCa: z.string().optional().describe("NatsCa is a PEM file of the CA that signs the TLS certificate of the server at `natsUrl`."),
  manifests: z.string().optional().describe("Manifests is a directory kept in sync with the store: applied on change, pruned on delete."),
  acmeDirectory: z.string().url().default(LETS_ENCRYPT).describe("AcmeDirectory is the ACME directory certificates come from."),
  acmeCa: z.string().optional().describe("AcmeCa is a PEM file of the CA that signs the ACME directory's own HTTPS certificate (a private CA such as Pebble)."),
  baseDomain: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a lowercase domain name such as `apps.example.com` (point `*.apps.example.com` at this host)")
    .optional()
    .describe("BaseDomain gives every App with a port a generated Domain `<app>-<namespace>.<baseDomain>`."),
  baseDomainTls: z.enum(["acme", "none"]).default("acme").describe("BaseDomainTls is the TLS mode of generated Domains: `acme` (a certificate per host) or `none` (plain HTTP)."),
  buildBaseImages: z
    .string()
    .regex(/^(node|python|go|go-runtime|static)=[^\s,=]+(,(node|python|go|go-runtime|static)=[^\s,=]+)*$/, "`stack=IMAGE` pairs separated by commas, stacks among node, python, go, go-runtime, static")
    .optional()
    .describe("BuildBaseImages overrides the images that detected builds start from (`node=IMAGE,python=IMAGE,go=IMAGE,go-runtime=IMAGE,static=IMAGE`); see docs/builds.md."),
  dockerHost: z.string().optional().describe("DockerHost is the Docker Engine endpoint (default: the local socket)."),
  networkPool: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}(\/\d{1,2})?$/, "an IPv4 range such as 10.212.0.0/16, optionally with a subnet size: 10.212.0.0/16/24")
    .default("10.212.0.0/16/24")
    .describe("NetworkPool is the address range namespace networks take their subnets from (one /24 each by default)."),
  clientConfigDir: z.string().describe("ClientConfigDir is where the CLI config and kubeconfig are written on first start."),
  maxWatchesPerToken: z.coerce.number().int().min(1).default(100).describe("MaxWatchesPerToken bounds the watches one API token may hold open at once; more are answered 429."),
  logLevel: z.enum(["error", "warn", "info", "debug"]).default("info"),
  buildParallelism: z.coerce.number().int().min(1).max(64).default(1).describe("BuildParallelism is how many App builds run at once; the others wait in a queue."),
  buildMemory: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|K|M|G|k|m|g)?$/, "a size such as `2Gi`").default("2Gi").describe("BuildMemory limits the memory of each build's steps, so a build cannot starve the Apps being served."),
  buildCpus: z.coerce.number().positive().default(1).describe("BuildCpus limits each build's steps to this many cores."),
  buildTimeout: z.string().regex(/^\d+(ms|s|m|h)$/, "a duration such as `30m`").default("30m").describe("BuildTimeout bounds one build, from its fetch to its image."),
});

export type DaemonConfig = Readonly<z.infer<typeof daemonConfig>>;

/** FLAGS maps each config field to its flag and environment variable. */
export const FLAGS: ReadonlyArray<{ field: keyof DaemonConfig; flag: string; env: string }> = [
  { field: "dataDir", flag: "--data-dir", env: "BERTH_DATA_DIR" },
  { field: "apiHost", flag: "--api-host", env: "BERTH_API_HOST" },
  { field: "apiPort", flag: "--api-port", env: "BERTH_API_PORT" },
  { field: "httpPort", flag: "--http-port", env: "BERTH_HTTP_PORT" },
  { field: "httpsPort", flag: "--https-port", env: "BERTH_HTTPS_PORT" },
  { field: "natsUrl", flag: "--nats-url", env: "BERTH_NATS_URL" },
  { field: "natsCreds", flag: "--nats-creds", env: "BERTH_NATS_CREDS" },
  { field: "natsCa", flag: "--nats-ca", env: "BERTH_NATS_CA" },
  { field: "manifests", flag: "--manifests", env: "BERTH_MANIFESTS" },
  { field: "acmeDirectory", flag: "--acme-directory", env: "BERTH_ACME_DIRECTORY" },
  { field: "acmeCa", flag: "--acme-ca", env: "BERTH_ACME_CA" },
  { field: "baseDomain", flag: "--base-domain", env: "BERTH_BASE_DOMAIN" },
  { field: "baseDomainTls", flag: "--base-domain-tls", env: "BERTH_BASE_DOMAIN_TLS" },
  { field: "buildBaseImages", flag: "--build-base-images", env: "BERTH_BUILD_BASE_IMAGES" },
  { field: "dockerHost", flag: "--docker-host", env: "BERTH_DOCKER_HOST" },
  { field: "networkPool", flag: "--network-pool", env: "BERTH_NETWORK_POOL" },
  { field: "clientConfigDir", flag: "--client-config-dir", env: "BERTH_CLIENT_CONFIG_DIR" },
  { field: "maxWatchesPerToken", flag: "--max-watches-per-token", env: "BERTH_MAX_WATCHES_PER_TOKEN" },
  { field: "logLevel", flag: "--log-level", env: "BERTH_LOG_LEVEL" },
  { field: "buildParallelism", flag: "--build-parallelism", env: "BERTH_BUILD_PARALLELISM" },
  { field: "buildMemory", flag: "--build-memory", env: "BERTH_BUILD_MEMORY" },
  { field: "buildCpus", flag: "--build-cpus", env: "BERTH_BUILD_CPUS" },
  { field: "buildTimeout", flag: "--build-timeout", env: "BERTH_BUILD_TIMEOUT" },
];

/** defaultDataDir is `/var/lib/berth` for root and `~/.berth` for everyone else. */
export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/berth" : join(homedir(), ".berth");
}

/**
 * loadDaemonConfig merges environment and flags (`--flag value` or `--flag=value`) into a frozen config; an
 * unknown flag or an invalid value is a ValidationError naming the flag.
 */
export function loadDaemonConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const raw: Record<string, string> = {};
  for (const { field, env: name } of FLAGS) {
    const value = env[name];
    if (value !== undefined && value !== "") raw[field] = value;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const spec = FLAGS.find((f) => f.flag === flag);
    if (!spec) throw new ValidationError(`unknown flag ${flag} (known: ${FLAGS.map((f) => f.flag).join(", ")})`, [{ field: flag, message: "unknown flag" }]);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ValidationError(`flag ${flag} needs a value`, [{ field: flag, message: "needs a value" }]);
    raw[spec.field] = value;
  }
  raw.dataDir ??= defaultDataDir();
  raw.clientConfigDir ??= join(homedir(), ".berth");
  const result = daemonConfig.safeParse(raw);
  if (!result.success) {
    const causes = causesOf(result.error).map((c) => ({ ...c, field: FLAGS.find((f) => f.field === c.field)?.flag ?? c.field }));
    throw new ValidationError(`invalid configuration: ${describeCauses(causes)}`, causes);
  }
  return Object.freeze(result.data);
}
