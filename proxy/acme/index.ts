/** acme obtains certificates from any ACME directory (acme-client) with HTTP-01 answered by the proxy. */
export { AcmeIssuer, type AcmeIssuerOptions, type ChallengeResponder, type IssueRequest, type IssuedCertificate } from "./issuer.ts";
export { loadAccountKey, ACCOUNT_SECRET } from "./account-key.ts";
export { trustDirectoryCa } from "./trust.ts";
export { AcmeIssuanceError } from "./errors.ts";
