/** TOKEN_KEY is where the bearer token lives: sessionStorage, so it is gone when the tab closes, and no cookie is ever sent. */
const TOKEN_KEY = "berth.token";

/** GROUP is the API group every kind is served under. */
export const GROUP = "/apis/berth.dev/v1";

/** TABLE_ACCEPT asks the API for server-side printed rows, the columns of `berth get -o wide`. */
export const TABLE_ACCEPT = "application/json;as=Table;g=meta.k8s.io;v=v1";

/** token is the signed-in token, if any. */
export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** setToken keeps a token for this tab. */
export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** signOut forgets the token and tells the app to show the sign-in form. */
export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event("berth:signed-out"));
}

/** ApiError is a failed API call with the Status the API answered. */
export class ApiError extends Error {
  constructor(message: string, readonly code: number, readonly reason = "") {
    super(message);
  }
}

/** request calls the API with the bearer token; a 401 signs out, any other failure throws ApiError with the Status message. */
export async function request(path: string, init: { accept?: string; signal?: AbortSignal; method?: string; body?: string; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: init.accept ?? "application/json" };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (init.contentType) headers["Content-Type"] = init.contentType;
  const response = await fetch(path, {
    headers,
    cache: "no-store",
    credentials: "omit",
    ...(init.method ? { method: init.method } : {}),
    ...(init.body !== undefined ? { body: init.body } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  if (response.ok) return response;
  let message = `${response.status} ${response.statusText}`;
  let reason = "";
  try {
    const status = (await response.json()) as { message?: string; reason?: string };
    if (status.message) message = status.message;
    reason = status.reason ?? "";
  } catch {
    // not a Status: keep the status line
  }
  if (response.status === 401) signOut();
  throw new ApiError(message, response.status, reason);
}

/** getJson is a GET that parses the JSON body. */
export async function getJson<T>(path: string, init: { accept?: string; signal?: AbortSignal } = {}): Promise<T> {
  return (await (await request(path, init)).json()) as T;
}

/**
 * readLines reads a streamed body line by line (newline-delimited JSON watches, plain-text logs). `onChunk`
 * runs after every network chunk, so a burst of lines is rendered once.
 */
export async function readLines(response: Response, onLine: (line: string) => void, onChunk?: () => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const parts = (rest + value).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) onLine(line);
    onChunk?.();
  }
  if (rest) onLine(rest);
  onChunk?.();
}

/** objectPath is an object's URL in the API. */
export function objectPath(plural: string, namespace: string, name: string): string {
  return `${GROUP}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`;
}
