/**
 * A Secret's values, read and folded without its schema (so the CLI can fold `stringData` without loading zod).
 */

/** foldStringData moves stringData into data (base64), as Kubernetes does, so only one form is ever stored. */
export function foldStringData<T extends { data?: Record<string, string>; stringData?: Record<string, string> }>(secret: T): T {
  if (!secret.stringData) return secret;
  const data = { ...(secret.data ?? {}) };
  for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(value, "utf8").toString("base64");
  const { stringData: _folded, ...rest } = secret;
  return { ...rest, data } as T;
}

/** secretValue decodes one key of a stored Secret, or undefined if the key is missing. */
export function secretValue(secret: { data?: unknown }, key: string): string | undefined {
  const value = (secret.data as Record<string, string> | undefined)?.[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}
