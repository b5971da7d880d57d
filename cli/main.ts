import { Command, CommanderError, Option } from "commander";
import { parseDuration } from "./duration.ts";
import { errorLine } from "./errors.ts";
import { CliSession, processIO, type CliIO } from "./session.ts";

/**
 * The `berth` command line. Only commander is loaded up front: the verbs' code is imported once a verb runs, and
 * what only some verbs need (`yaml`, the kinds' zod schemas) when that verb needs it.
 * Verbs return their exit code; any error they throw becomes one `error: ...` line and exit code 1.
 *
 * Adding a verb means: a module under `verbs/` exporting one function `(session, args, options) =>
 * Promise<number>`, exported again from `verbs/index.ts`, one `verb()` registration below, and its name in VERBS.
 */

/** verbs loads the verbs' code (one module, see verbs/index.ts) once the command line names one. */
const verbs = () => import("./verbs/index.ts");

type VerbResult = Promise<number>;
type VerbLoader = (session: CliSession, args: string[], options: Record<string, unknown>) => VerbResult;

const OUTPUT_FORMATS = ["wide", "yaml", "json", "name"];

/** VERBS are the top-level verbs buildProgram declares. */
const VERBS = new Set(["apply", "get", "describe", "delete", "diff", "wait", "events", "logs", "rollout", "backup", "restore", "version", "audit", "token"]);

/** GLOBAL_WITH_VALUE are the global options whose value may be the next argument. */
const GLOBAL_WITH_VALUE = new Set(["--server", "--token", "--ca", "--config", "--request-timeout"]);

/** verbNameOf is the verb a command line names: its first argument that is neither a global option nor its value. */
export function verbNameOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return argv[i + 1];
    if (!arg.startsWith("-")) return arg;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
  }
  return undefined;
}

/** buildProgram declares the verb the command line names (or every verb) and its flags; `run` sets the exit code through `exitCode`. */
function buildProgram(io: CliIO, exit: { code: number; sessions: CliSession[] }, argv: readonly string[]): Command {
  // Only the verb the command line names is declared (help, an unknown verb or none declares them all).
  const wanted = verbNameOf(argv);
  const top = (name: string) => wanted === undefined || !VERBS.has(wanted) || wanted === name;
  const program = new Command("berth")
    .description("Berth: a self-hosted PaaS that reconciles apps, databases, domains and backups toward your manifests.")
    .option("--server <url>", "API server URL (overrides BERTH_SERVER and the config file)")
    .option("--token <token>", "bearer token (overrides BERTH_TOKEN and the config file)")
    .option("--ca <pem-or-path>", "CA certificate to trust, a PEM path or the PEM itself (overrides BERTH_CA)")
    .option("--config <path>", "config file (default: $BERTH_CONFIG or ~/.berth/config.yaml)")
    .option("--request-timeout <duration>", "timeout of each API request", "30s")
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  /** verb registers an action that loads its module lazily and runs it in a session. */
  const verb = (command: Command, load: () => Promise<VerbLoader>, how: { offline?: (options: Record<string, unknown>) => boolean } = {}) =>
    command.exitOverride().action(async (...received: unknown[]) => {
      const self = received[received.length - 1] as Command;
      const options = self.opts();
      const args = received.slice(0, -2).flatMap((a) => (Array.isArray(a) ? (a as string[]) : a === undefined ? [] : [a as string]));
      const globals = program.opts<{ server?: string; token?: string; ca?: string; config?: string; requestTimeout: string }>();
      const session = new CliSession(io, { ...globals, requestTimeoutMs: parseDuration(globals.requestTimeout, "--request-timeout") });
      exit.sessions.push(session);
      // The TLS handshake runs while the verb's code loads (`version --client` opens no connection at all).
      if (!how.offline?.(options)) session.connectEarly();
      exit.code = await (await load())(session, args, options);
    });

  const namespaceOption = () => new Option("-n, --namespace <namespace>", "namespace (default: the config file's namespace, else default)");

  if (top("apply")) verb(
    program.command("apply").description("Create or update objects from manifests (3-way merge, kubectl-compatible)")
      .requiredOption("-f, --filename <path...>", "file, directory (read recursively) or - for standard input")
      .addOption(new Option("--dry-run <mode>", "server: validate on the server without storing; client: only print").choices(["none", "server", "client"]).default("none"))
      .addOption(namespaceOption()),
    async () => (await verbs()).runApply,
  );
  if (top("get")) verb(
    program.command("get").description("List objects, or show some, as a table or as yaml/json/names")
      .argument("<kind>", "kind (app, db, dom, bk, secret, their plurals, or all), or KIND/NAME")
      .argument("[names...]", "names of objects")
      .addOption(new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS))
      .option("-w, --watch", "after listing, keep printing changes")
      .option("-l, --selector <selector>", "label selector, e.g. app=web,tier!=db")
      .option("-A, --all-namespaces", "list across all namespaces")
      .addOption(namespaceOption()),
    async () => (await verbs()).runGet,
  );
  if (top("describe")) verb(
    program.command("describe").description("Show an object in detail: metadata, spec, status, conditions and events")
      .argument("<kind>", "kind, or KIND/NAME")
      .argument("[names...]", "names (default: every object of the kind)")
      .addOption(namespaceOption()),
    async () => (await verbs()).runDescribe,
  );
  if (top("delete")) verb(
    program.command("delete").description("Delete objects by kind and name, or those in manifests")
      .argument("[kind]", "kind, or KIND/NAME")
      .argument("[names...]", "names of objects")
      .option("-f, --filename <path...>", "delete the objects these manifests describe")
      .option("--wait [bool]", "wait until the objects are gone (finalizers done)", true)
      .option("--timeout <duration>", "how long --wait waits", "60s")
      .option("--ignore-not-found", "treat a missing object as deleted")
      .addOption(namespaceOption()),
    async () => (await verbs()).runDelete,
  );
  if (top("diff")) verb(
    program.command("diff").description("Show what apply would change (exit 1 when it would change something)")
      .requiredOption("-f, --filename <path...>", "file, directory or -")
      .addOption(namespaceOption()),
    async () => (await verbs()).runDiff,
  );
  if (top("wait")) verb(
    program.command("wait").description("Wait for a condition on objects, or for their deletion")
      .argument("<objects...>", "KIND/NAME, or KIND NAME...")
      .requiredOption("--for <condition>", "condition=Ready, condition=Ready=False, or delete")
      .option("--timeout <duration>", "how long to wait", "30s")
      .addOption(namespaceOption()),
    async () => (await verbs()).runWait,
  );
  if (top("events")) verb(
    program.command("events").description("List events, newest last")
      .option("-w, --watch", "keep printing new events")
      .option("-A, --all-namespaces", "events of all namespaces")
      .option("--for <object>", "only events about KIND/NAME")
      .addOption(namespaceOption()),
    async () => (await verbs()).runEvents,
  );
  if (top("logs")) verb(
    program.command("logs").description("Print an App's logs (every replica of its current revision, lines prefixed [replica-N]) or a Build's")
      .argument("<app...>", "app/NAME (or NAME), or build/NAME")
      .option("--build", "the log of the App's newest build")
      .option("-f, --follow", "keep streaming new lines (Ctrl-C to stop)")
      .option("--tail <lines>", "only the last N lines of each replica")
      .option("--since <duration>", "only lines newer than this, e.g. 30s, 5m, 1h")
      .option("--replica <replica>", "one replica: its index or its container name")
      .option("--timestamps", "prefix each line with its timestamp")
      .option("--previous", "replicas of older revisions still running (during or after a rollout)")
      .addOption(namespaceOption()),
    async () => (await verbs()).runLogs,
  );
  const rollout = top("rollout") ? program.command("rollout").description("Follow, list and undo an App's rollouts") : undefined;
  if (rollout) verb(
    rollout.command("status").description("Wait until the App's rollout finishes (exit 1 if it fails)")
      .argument("<app...>", "app/NAME")
      .option("--timeout <duration>", "how long to wait", "10m")
      .addOption(namespaceOption()),
    async () => (await verbs()).runRolloutStatus,
  );
  if (rollout) verb(
    rollout.command("history").description("List the App's revisions")
      .argument("<app...>", "app/NAME")
      .option("--revision <n>", "show the template of one revision")
      .addOption(namespaceOption()),
    async () => (await verbs()).runRolloutHistory,
  );
  if (rollout) verb(
    rollout.command("undo").description("Roll the App back to its previous revision, or to --to-revision")
      .argument("<app...>", "app/NAME")
      .option("--to-revision <n>", "the revision to go back to (default: the one deployed before the current)")
      .addOption(namespaceOption()),
    async () => (await verbs()).runRolloutUndo,
  );
  const backup = top("backup") ? program.command("backup").description("Run a Backup now, or list its snapshots") : undefined;
  if (backup) verb(
    backup.command("run").description("Run a Backup now and wait for its result (exit 1 if it fails)")
      .argument("<backup...>", "backup/NAME")
      .option("--timeout <duration>", "how long to wait", "1h")
      .option("--no-wait", "only ask for the run")
      .addOption(namespaceOption()),
    async () => (await verbs()).runBackupRun,
  );
  if (backup) verb(
    backup.command("list").description("List a Backup's snapshots: id, size, sha256, verified, location")
      .argument("<backup...>", "backup/NAME")
      .addOption(namespaceOption()),
    async () => (await verbs()).runBackupList,
  );
  if (top("restore")) verb(
    program.command("restore").description("Restore a Backup's snapshot into a running Database, replacing its data (exit 1 if it fails)")
      .argument("<backup...>", "backup/NAME")
      .option("--snapshot <id>", "snapshot id (default: the newest)")
      .requiredOption("--to <database>", "database/NAME to restore into")
      .option("--timeout <duration>", "how long to wait", "1h")
      .addOption(namespaceOption()),
    async () => (await verbs()).runRestore,
  );
  if (rollout) verb(
    rollout.command("cancel").description("Cancel the App's build in progress (its Docker build is stopped)")
      .argument("<app...>", "app/NAME")
      .addOption(namespaceOption()),
    async () => (await verbs()).runRolloutCancel,
  );
  if (top("version")) verb(
    program.command("version").description("Print the client and server versions").option("--client", "client version only"),
    async () => (await verbs()).runVersion,
    { offline: (options) => options.client === true },
  );

  if (top("audit")) verb(
    program.command("audit").description("Show the server's audit log: writes and refused requests, oldest first (admin)")
      .option("--since <duration-or-time>", "only entries newer than this: 30m, 1h, 7d, or a time (2026-01-02T15:04:05Z)")
      .option("--limit <n>", "at most the last N entries (server default 500)")
      .addOption(new Option("-o, --output <format>", "output format").choices(["json"])),
    async () => (await verbs()).runAudit,
  );

  const token = top("token") ? program.command("token").description("Manage API tokens (admin)") : undefined;
  if (token) verb(
    token.command("create").description("Create a token and print it (it is shown only once)")
      .argument("<name>", "token name")
      .addOption(new Option("--role <role>", "role").choices(["viewer", "deployer", "admin"]).makeOptionMandatory())
      .addOption(new Option("-n, --namespace <namespace>", "namespace the role applies in (* for all)")),
    async () => (await verbs()).runTokenCreate,
  );
  if (token) verb(token.command("list").description("List tokens (never their values)"), async () => (await verbs()).runTokenList);
  if (token) verb(token.command("revoke").description("Revoke a token").argument("<name>", "token name"), async () => (await verbs()).runTokenRevoke);
  return program;
}

/** run executes the CLI on argv (without `node` and the script) and returns the exit code. */
export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const exit = { code: 0, sessions: [] as CliSession[] };
  const program = buildProgram(io, exit, argv);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) exit.code = error.exitCode;
    else {
      io.err(`${errorLine(error)}\n`);
      exit.code = 1;
    }
  } finally {
    for (const session of exit.sessions) await session.close();
  }
  return exit.code;
}
