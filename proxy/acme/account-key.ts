import { loadAcme } from "./client.ts";
import { AlreadyExistsError, NotFoundError, admit, secretValue, type Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";

/** ACCOUNT_SECRET is where the ACME account key lives: a Secret in `berth-system`, encrypted at rest like every Secret. */
export const ACCOUNT_SECRET = { namespace: "berth-system", name: "berth-acme-account" } as const;
const KEY_FIELD = "account.key";

/**
 * loadAccountKey returns the ACME account key (PEM), creating it once (ECDSA P-256) and keeping it in the
 * store, so the daemon keeps one account per CA across restarts instead of registering a new one each time.
 * Two callers racing on the first start both end up with the key that was stored first.
 */
export async function loadAccountKey(store: ResourceStore): Promise<string> {
  const existing = await getSecret(store);
  const stored = existing ? secretValue(existing as { data?: unknown }, KEY_FIELD) : undefined;
  if (stored) return stored;
  const acme = await loadAcme();
  const key = (await acme.crypto.createPrivateEcdsaKey()).toString("utf8");
  const secret = {
    apiVersion: "berth.dev/v1",
    kind: "Secret",
    metadata: { ...ACCOUNT_SECRET, labels: { "berth.dev/managed-by": "domain-controller" } },
    type: "berth.dev/acme-account",
    data: { [KEY_FIELD]: Buffer.from(key, "utf8").toString("base64") },
  };
  try {
    if (existing) await store.update({ ...existing, data: secret.data } as Resource);
    else await store.create(admit(secret));
    return key;
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const winner = await getSecret(store);
    const won = winner ? secretValue(winner as { data?: unknown }, KEY_FIELD) : undefined;
    if (!won) throw error;
    return won;
  }
}

async function getSecret(store: ResourceStore): Promise<Resource | undefined> {
  try {
    return await store.get({ kind: "Secret", ...ACCOUNT_SECRET });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
