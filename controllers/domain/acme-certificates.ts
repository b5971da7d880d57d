import { X509Certificate } from "node:crypto";
import { admit, NotFoundError, type DomainSpec, type Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { AcmeIssuer, loadAccountKey, type ChallengeResponder } from "../../proxy/acme/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { writeStatus } from "../runtime/index.ts";
import { secretCertificate, TLS_CERT, TLS_KEY, type CertificateVerdict } from "./certificate.ts";
import { refOf } from "./desired.ts";

/** AcmeCertificatesOptions configure issuance: the default directory, the proxy answering challenges, and timings. */
export interface AcmeCertificatesOptions {
  store: ResourceStore;
  responder: ChallengeResponder;
  logger: Logger;
  /** directoryUrl is the daemon's ACME directory (`--acme-directory`); a Domain's `tls.issuer` overrides it. */
  directoryUrl: string;
  /** retryMinMs is the wait after a first failed attempt, doubled per failure; default 5 min (CA rate limits). */
  retryMinMs?: number;
  /** retryMaxMs caps the wait between failed attempts; default 6 h. */
  retryMaxMs?: number;
  /** pollMinMs is acme-client's first delay between polls of an order; default 5 s. */
  pollMinMs?: number;
}

interface IssuanceState {
  running: boolean;
  failures: number;
  lastError?: string;
  retryAt?: number;
  /** generation is the Domain generation the failures were for: a new spec starts afresh. */
  generation?: number;
  /** written is the serial just stored, until the Secret informer shows it (so a stale cache cannot re-issue). */
  written?: { serial: string; until: number };
}

/** IssuanceStatus is the backoff after failed orders, kept in the Domain's `status.issuance` across restarts. */
interface IssuanceStatus {
  failures: number;
  lastError: string;
  retryAt: string;
  generation?: number;
}

/**
 * restoredState starts a Domain's in-memory state from its `status.issuance`: a restarted daemon keeps the
 * backoff instead of ordering again at once (a CA's rate limits count failed validations per hour). Failures
 * recorded for an older generation are forgotten: a Domain whose spec changed is tried again at once.
 */
function restoredState(domain: Resource): IssuanceState {
  const issuance = domain.status?.issuance as IssuanceStatus | undefined;
  if (!issuance || issuance.generation !== domain.metadata.generation) return { running: false, failures: 0 };
  const retryAt = Date.parse(issuance.retryAt);
  return { running: false, failures: issuance.failures, lastError: issuance.lastError, generation: issuance.generation, ...(Number.isFinite(retryAt) ? { retryAt } : {}) };
}

/** tlsSecretName is the Secret holding an ACME Domain's certificate: `<domain>-tls`, in the Domain's namespace. */
export function tlsSecretName(domain: Resource): string {
  return `${domain.metadata.name}-tls`;
}

const MAX_REQUEUE_MS = 24 * 3600_000;
const CACHE_GRACE_MS = 30_000;

/**
 * AcmeCertificates keeps `tls.mode: acme` Domains supplied with certificates. Orders run in the background (one
 * per Domain at a time), never inside a reconcile, so routing other Domains is not held up by a CA; when one
 * ends, `onChange(ref)` asks the controller to look again. The certificate and key go into an owned Secret
 * `<domain>-tls` (`kubernetes.io/tls`), which is the only record: a restarted daemon serves it without
 * re-issuing. Renewal starts when a third of the lifetime remains; failures back off exponentially from
 * `retryMinMs` and are reported with the CA's message.
 */
export class AcmeCertificates {
  private readonly options: AcmeCertificatesOptions;
  private readonly issuer: AcmeIssuer;
  private readonly states = new Map<string, IssuanceState>();
  private readonly onChange: (ref: string) => void;
  private ordersStarted = 0;
  private readonly cancel = new AbortController();

  constructor(options: AcmeCertificatesOptions, onChange: (ref: string) => void) {
    this.options = options;
    this.onChange = onChange;
    this.issuer = new AcmeIssuer({ responder: options.responder, logger: options.logger, ...(options.pollMinMs !== undefined ? { pollMinMs: options.pollMinMs } : {}) });
  }

  /** orders counts the orders this instance started (diagnostics and tests). */
  get orders(): number {
    return this.ordersStarted;
  }

  /** verdict reads a Domain's certificate from its Secret (owned by it) or says why there is none yet. */
  verdict(domain: Resource, secret: Resource | undefined, now: Date): CertificateVerdict {
    const spec = domain.spec as DomainSpec;
    if (spec.host.startsWith("*.")) return { ready: false, reason: "WildcardNotSupported", message: `${spec.host} needs a DNS-01 challenge; ACME here answers HTTP-01 only: use tls.mode secret for wildcard hosts` };
    if (secret && !ownedBy(secret, domain)) return { ready: false, reason: "SecretNameTaken", message: `Secret ${tlsSecretName(domain)} exists and is not owned by this Domain; delete or rename it` };
    const stored = this.stored(domain, secret, now);
    if (stored.ready) return stored;
    const state = this.stateOf(domain);
    if (state.lastError) {
      const when = state.running ? "; retrying now" : state.retryAt ? `; retrying at ${new Date(state.retryAt).toISOString()}` : "";
      return { ready: false, reason: "IssuanceFailed", message: `${state.lastError}${when}` };
    }
    return { ready: false, reason: "Issuing", message: `requesting a certificate for ${spec.host} from ${this.directoryOf(spec)}` };
  }

  /**
   * ensure starts an order if the Domain has no usable certificate or its renewal is due (and no failure
   * backoff is running), and returns when to look again (renewal time or end of backoff), or undefined.
   */
  ensure(domain: Resource, secret: Resource | undefined, now: Date): number | undefined {
    const spec = domain.spec as DomainSpec;
    if (this.cancel.signal.aborted || spec.tls.mode !== "acme" || domain.metadata.deletionTimestamp || spec.host.startsWith("*.")) return undefined;
    if (secret && !ownedBy(secret, domain)) return undefined;
    const ref = refOf(domain);
    const state = this.stateOf(domain);
    this.states.set(ref, state);
    if (state.running) return undefined;
    const stored = this.stored(domain, secret, now);
    if (state.written && stored.ready && stored.info.serial === state.written.serial) delete state.written;
    if (state.written && now.getTime() < state.written.until) return undefined;
    const due = stored.ready ? this.renewAt(stored.info.notBefore, stored.info.notAfter) : now.getTime();
    const next = Math.max(due, state.retryAt ?? 0);
    if (next > now.getTime()) return Math.min(next - now.getTime(), MAX_REQUEUE_MS);
    state.running = true;
    this.ordersStarted++;
    void this.run(domain, state, stored.ready ? "renewal" : "issuance");
    return undefined;
  }

  /** forget drops the state of Domains that no longer exist. */
  forget(liveRefs: ReadonlySet<string>): void {
    for (const ref of this.states.keys()) if (!liveRefs.has(ref) && !this.states.get(ref)?.running) this.states.delete(ref);
  }

  /** stop starts no more orders and cancels running ones (their next request to the CA fails). */
  stop(): void {
    this.cancel.abort();
  }

  private async run(domain: Resource, state: IssuanceState, why: string): Promise<void> {
    const spec = domain.spec as DomainSpec;
    const ref = refOf(domain);
    const log = this.options.logger.child({ domain: ref, host: spec.host });
    try {
      log.info({ why, directory: this.directoryOf(spec) }, "ordering a certificate");
      const accountKey = await loadAccountKey(this.options.store);
      const issued = await this.issuer.issue({ directoryUrl: this.directoryOf(spec), accountKey, host: spec.host, signal: this.cancel.signal, ...(spec.tls.email ? { email: spec.tls.email } : {}) });
      await this.writeSecret(domain, issued.cert, issued.key);
      state.written = { serial: new X509Certificate(issued.cert).serialNumber, until: Date.now() + CACHE_GRACE_MS };
      state.failures = 0;
      delete state.lastError;
      delete state.retryAt;
      await this.recordIssuance(domain, undefined);
    } catch (error) {
      if (this.cancel.signal.aborted) return;
      state.failures++;
      const wait = Math.min((this.options.retryMinMs ?? 300_000) * 2 ** (state.failures - 1), this.options.retryMaxMs ?? 6 * 3600_000);
      state.lastError = (error as Error).message;
      state.retryAt = Date.now() + wait;
      state.generation = domain.metadata.generation;
      log.warn({ err: (error as Error).message, failures: state.failures, retryInMs: wait }, "certificate order failed");
      await this.recordIssuance(domain, { failures: state.failures, lastError: state.lastError, retryAt: new Date(state.retryAt).toISOString(), ...(domain.metadata.generation !== undefined ? { generation: domain.metadata.generation } : {}) });
    } finally {
      state.running = false;
      this.onChange(ref);
    }
  }

  /**
   * stateOf is a Domain's issuance state: the one in memory while an order runs or while it still applies (no
   * failures, or failures of this generation); otherwise the one recorded in its status (a restart, or a spec
   * changed since the failures, which starts afresh).
   */
  private stateOf(domain: Resource): IssuanceState {
    const known = this.states.get(refOf(domain));
    if (known && (known.running || known.failures === 0 || known.generation === domain.metadata.generation)) return known;
    return restoredState(domain);
  }

  /**
   * recordIssuance writes the backoff into the Domain's `status.issuance` (or removes it after a success), so
   * it survives a restart. A Domain deleted meanwhile, or a store that refuses, only costs that memory: the
   * in-memory state still holds the backoff for this run.
   */
  private async recordIssuance(domain: Resource, issuance: IssuanceStatus | undefined): Promise<void> {
    try {
      await writeStatus(this.options.store, domain, (status) => {
        if (issuance) status.issuance = issuance;
        else delete status.issuance;
        return status;
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) this.options.logger.warn({ domain: refOf(domain), err: (error as Error).message }, "could not record the certificate backoff in the Domain's status");
    }
  }

  /** writeSecret stores the certificate in `<domain>-tls`, owned by the Domain so it is deleted with it. */
  private async writeSecret(domain: Resource, cert: string, key: string): Promise<void> {
    const name = tlsSecretName(domain);
    const namespace = domain.metadata.namespace;
    const data = { [TLS_CERT]: Buffer.from(cert, "utf8").toString("base64"), [TLS_KEY]: Buffer.from(key, "utf8").toString("base64") };
    const ownerReferences = [{ apiVersion: "berth.dev/v1", kind: "Domain", name: domain.metadata.name, uid: domain.metadata.uid!, controller: true, blockOwnerDeletion: true }];
    const labels = { "berth.dev/managed-by": "domain-controller", "berth.dev/domain": domain.metadata.name };
    let current: Resource | undefined;
    try {
      current = await this.options.store.get({ kind: "Secret", namespace: namespace!, name });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    if (current) await this.options.store.update({ ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...labels }, ownerReferences }, type: "kubernetes.io/tls", data } as Resource);
    else await this.options.store.create(admit({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name, namespace, labels, ownerReferences }, type: "kubernetes.io/tls", data }));
  }

  private stored(domain: Resource, secret: Resource | undefined, now: Date): CertificateVerdict {
    const spec = domain.spec as DomainSpec;
    const asSecretMode = { ...domain, spec: { ...spec, tls: { ...spec.tls, secretRef: { name: tlsSecretName(domain) } } } } as Resource;
    return secretCertificate(asSecretMode, secret, now);
  }

  private renewAt(notBefore: string, notAfter: string): number {
    const start = Date.parse(notBefore);
    const end = Date.parse(notAfter);
    return end - (end - start) / 3;
  }

  private directoryOf(spec: DomainSpec): string {
    return spec.tls.issuer ?? this.options.directoryUrl;
  }
}

function ownedBy(secret: Resource, domain: Resource): boolean {
  return (secret.metadata.ownerReferences ?? []).some((o) => o.kind === "Domain" && o.uid === domain.metadata.uid);
}
