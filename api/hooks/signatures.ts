import { createHash, createHmac, timingSafeEqual } from "node:crypto";

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * hmacSha256Matches checks a hex HMAC-SHA256 of the raw body (as GitHub, Gitea, Forgejo and Bitbucket send it)
 * against the shared secret, in constant time: both sides are 32-byte digests compared with timingSafeEqual.
 */
export function hmacSha256Matches(secret: string, raw: Buffer, givenHex: string): boolean {
  if (!HEX_SHA256.test(givenHex)) return false;
  const expected = createHmac("sha256", secret).update(raw).digest();
  return timingSafeEqual(Buffer.from(givenHex, "hex"), expected);
}

/**
 * tokenMatches checks a token sent as it is (GitLab's X-Gitlab-Token) against the secret in constant time:
 * comparing SHA-256 digests of both gives equal-length buffers and hides the secret's length.
 */
export function tokenMatches(secret: string, given: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(secret));
}
