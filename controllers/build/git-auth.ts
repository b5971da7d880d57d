import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError, secretValue } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";

/** GitAuthError is a Secret that cannot authenticate a fetch (missing, or without the keys it needs). */
export class GitAuthError extends Error {
  override name = "GitAuthError";
}

/** GitAccess is the environment git runs with, the secret values it carries (to redact), and a cleanup. */
export interface GitAccess {
  env: NodeJS.ProcessEnv;
  secrets: string[];
  /** dispose removes the key files written for ssh. */
  dispose(): Promise<void>;
}

/**
 * baseGitEnv is the environment of every git command: no prompt (a missing credential fails at once instead of
 * hanging), no system or user config (the host's settings must not change what is fetched), and a PATH.
 */
export function baseGitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ASKPASS: "/bin/false",
    GIT_SSH_COMMAND: "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null",
  };
}

/**
 * gitAccess builds git's environment for a repository, from the App's `build.git.secretRef` Secret:
 * - https: `password` or `token` (with `username`, default `git`) becomes an `Authorization: Basic` header
 *   set through GIT_CONFIG_COUNT/KEY/VALUE, so it is in neither argv nor the URL;
 * - ssh: `ssh-privatekey` and `known_hosts` are written to 0600 files in a private directory that GIT_SSH_COMMAND
 *   names, with strict host key checking; `dispose` removes them.
 */
export async function gitAccess(store: ResourceStore, namespace: string, url: string, secretName: string | undefined): Promise<GitAccess> {
  const home = await mkdtemp(join(tmpdir(), "berth-git-"));
  const env = baseGitEnv(home);
  const dispose = () => rm(home, { recursive: true, force: true });
  if (!secretName) return { env, secrets: [], dispose };
  try {
    let secret;
    try {
      secret = await store.get({ kind: "Secret", namespace, name: secretName });
    } catch (err) {
      if (err instanceof NotFoundError) throw new GitAuthError(`Secret ${secretName} (build.git.secretRef) not found`);
      throw err;
    }
    const value = (key: string) => secretValue(secret as { data?: unknown }, key);
    if (isSshUrl(url)) {
      const key = value("ssh-privatekey");
      const knownHosts = value("known_hosts");
      if (!key) throw new GitAuthError(`Secret ${secretName} needs key ssh-privatekey for the ssh repository`);
      if (!knownHosts) throw new GitAuthError(`Secret ${secretName} needs key known_hosts: host keys are checked strictly`);
      const keyFile = join(home, "id");
      const hostsFile = join(home, "known_hosts");
      await writeFile(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
      await writeFile(hostsFile, knownHosts, { mode: 0o600 });
      env.GIT_SSH_COMMAND = `ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${hostsFile} -i ${keyFile}`;
      return { env, secrets: [], dispose };
    }
    const password = value("password") ?? value("token");
    if (!password) throw new GitAuthError(`Secret ${secretName} needs key password or token for the https repository`);
    const header = Buffer.from(`${value("username") ?? "git"}:${password}`).toString("base64");
    Object.assign(env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${header}` });
    return { env, secrets: [password, header], dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** isSshUrl tells `ssh://` and scp-like (`git@host:path`) URLs from http(s), git:// and local ones. */
export function isSshUrl(url: string): boolean {
  return url.startsWith("ssh://") || /^[^/:@]+@[^/:]+:/.test(url);
}

/** safeUrl is the repository URL with any user info removed, for logs and messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}
