/** CHALLENGE_PREFIX is where ACME HTTP-01 validation requests arrive (RFC 8555 §8.3). */
export const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/**
 * ChallengeTokens maps ACME HTTP-01 tokens to their key authorizations. The proxy answers
 * `/.well-known/acme-challenge/<token>` from it on plain HTTP, for every host, before any route or redirect.
 * It is immutable: an update makes a new map, swapped in whole like the route table.
 */
export class ChallengeTokens {
  private readonly tokens: ReadonlyMap<string, string>;

  constructor(entries: Iterable<readonly [string, string]> = []) {
    this.tokens = new Map(entries);
  }

  /** answer returns the key authorization for a request path, or undefined if it is not a known challenge. */
  answer(url: string | undefined): string | undefined {
    if (this.tokens.size === 0 || !url?.startsWith(CHALLENGE_PREFIX)) return undefined;
    return this.tokens.get(url.slice(CHALLENGE_PREFIX.length));
  }

  /** with returns a copy holding one more token. */
  with(token: string, keyAuthorization: string): ChallengeTokens {
    return new ChallengeTokens([...this.tokens, [token, keyAuthorization]]);
  }

  /** without returns a copy without `token`. */
  without(token: string): ChallengeTokens {
    return new ChallengeTokens([...this.tokens].filter(([t]) => t !== token));
  }

  /** entries returns the tokens as plain pairs (for IPC). */
  entries(): Array<[string, string]> {
    return [...this.tokens];
  }

  get size(): number {
    return this.tokens.size;
  }
}
