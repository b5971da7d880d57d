/**
 * AcmeIssuanceError is a certificate the CA did not issue: the directory refused or could not be reached, an
 * order or a challenge failed. `message` is the CA's own explanation (an RFC 7807 problem detail when it sent
 * one), trimmed, and never holds key material, so it can go into a Domain's condition as it is.
 */
export class AcmeIssuanceError extends Error {
  override readonly name = "AcmeIssuanceError";
}
