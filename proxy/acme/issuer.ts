import { loadAcme } from "./client.ts";
import type { Logger } from "pino";
import { withAbortSignal } from "./abortable.ts";
import { AcmeIssuanceError } from "./errors.ts";

/** ChallengeResponder publishes HTTP-01 answers; the proxy (ProxyControl) is one, resolving once every process serves it. */
export interface ChallengeResponder {
  setChallenge(token: string, keyAuthorization: string): Promise<void>;
  deleteChallenge(token: string): Promise<void>;
}

/** IssueRequest is one certificate to obtain: a single host name, from one ACME directory, under one account key. */
export interface IssueRequest {
  directoryUrl: string;
  accountKey: string;
  host: string;
  email?: string;
  /** signal cancels the order (its next request fails). */
  signal?: AbortSignal;
}

/** IssuedCertificate is what the CA returned: the PEM chain (leaf first) and the private key made for it. */
export interface IssuedCertificate {
  cert: string;
  key: string;
}

/** AcmeIssuerOptions: where challenges are answered, and how fast to poll an order (acme-client's backoff). */
export interface AcmeIssuerOptions {
  responder: ChallengeResponder;
  logger: Logger;
  /** pollMinMs is the first delay between polls of a pending authorization or order; default 5 s (tests: less). */
  pollMinMs?: number;
  /** pollMaxMs caps the delay between polls; default 30 s. */
  pollMaxMs?: number;
}

const MAX_MESSAGE = 400;

/**
 * AcmeIssuer obtains certificates with acme-client: account (created or found by its key), order, HTTP-01
 * answered by the proxy's challenge map, finalize with a CSR for a fresh ECDSA key, download. The client's own
 * pre-check of the challenge is skipped: it would resolve the name through this machine's DNS, which need not
 * point at itself (the CA's view is the one that counts).
 */
export class AcmeIssuer {
  private readonly options: AcmeIssuerOptions;

  constructor(options: AcmeIssuerOptions) {
    this.options = options;
  }

  /** issue runs one order to completion; it throws AcmeIssuanceError with the CA's message when it fails. */
  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const acme = await loadAcme();
    const client = new acme.Client({
      directoryUrl: request.directoryUrl,
      accountKey: request.accountKey,
      backoffAttempts: 10,
      backoffMin: this.options.pollMinMs ?? 5_000,
      backoffMax: this.options.pollMaxMs ?? 30_000,
    });
    const [key, csr] = await acme.crypto.createCsr({ commonName: request.host, altNames: [request.host] }, await acme.crypto.createPrivateEcdsaKey());
    const published = new Set<string>();
    const { responder, logger } = this.options;
    try {
      const order = async () => {
        await ensureAccount(client, request.email);
        // The account is known now, so auto() goes straight to the order.
        return client.auto({
          csr,
          challengePriority: ["http-01"],
          skipChallengeVerification: true,
          challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
            if (challenge.type !== "http-01") throw new AcmeIssuanceError(`the CA offered no http-01 challenge for ${request.host}`);
            await responder.setChallenge(challenge.token, keyAuthorization);
            published.add(challenge.token);
          },
          challengeRemoveFn: async (_authz, challenge) => {
            published.delete(challenge.token);
            await responder.deleteChallenge(challenge.token);
          },
        });
      };
      const cert = await (request.signal ? withAbortSignal(request.signal, order) : order());
      logger.info({ host: request.host, directory: request.directoryUrl }, "certificate issued");
      return { cert, key: key.toString("utf8") };
    } catch (error) {
      throw new AcmeIssuanceError(caMessage(error, request.directoryUrl), { cause: error });
    } finally {
      // acme-client removes challenges it created, except when a later step threw first.
      for (const token of published) await responder.deleteChallenge(token).catch(() => undefined);
    }
  }
}

/**
 * ensureAccount finds the account of the client's key, or registers it. Asking for the existing account first
 * matters: registering again with a known key makes acme-client send the account an update, and an update
 * that changes nothing (no contact email) is refused by some CAs (Pebble: "Use POST-as-GET ..."), which failed
 * every Domain without an email once another one had registered the account.
 */
async function ensureAccount(client: import("acme-client").Client, email: string | undefined): Promise<void> {
  const findExisting = () => client.createAccount({ onlyReturnExisting: true });
  try {
    await findExisting();
    return;
  } catch {
    // No account for this key yet (or the lookup failed: registering says why, if it fails too).
  }
  try {
    await client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
  } catch (error) {
    // Another order registered the key in the meantime (orders of several Domains run at once): use that account.
    await findExisting().catch(() => {
      throw error;
    });
  }
}

/** caMessage is the CA's explanation of a failure, one line, bounded; transport errors name the directory. */
function caMessage(error: unknown, directoryUrl: string): string {
  const err = error as { message?: string; code?: string };
  let text = err.message ?? String(error);
  if (err.code && !text.includes(err.code)) text = `${err.code}: ${text}`;
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|certificate/i.test(text) && !text.includes(directoryUrl)) text = `${directoryUrl}: ${text}`;
  text = text.replace(/\s+/g, " ").trim();
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}
