/** ProxyErrorKind names why the proxy answered itself instead of an upstream. */
export type ProxyErrorKind = "no-route" | "no-endpoint" | "upstream-error" | "upstream-timeout";

/** ErrorPage is a prebuilt response: status, the `X-Berth-Proxy-Error` value, and the HTML body. */
export interface ErrorPage {
  status: number;
  kind: ProxyErrorKind;
  body: Buffer;
}

function page(status: number, kind: ProxyErrorKind, title: string, detail: string): ErrorPage {
  const html =
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${status} ${title}</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}small{color:#777}</style></head>` +
    `<body><h1>${status} ${title}</h1><p>${detail}</p><hr><small>berth proxy</small></body></html>\n`;
  return { status, kind, body: Buffer.from(html, "utf8") };
}

/** PAGES are the proxy's own answers, built once: each says plainly what is wrong and where to look. */
export const PAGES: Readonly<Record<ProxyErrorKind, ErrorPage>> = {
  "no-route": page(404, "no-route", "Not Found", "No Domain routes this host and path. Check <code>berth get domains</code>: its host, path and Ready condition."),
  "no-endpoint": page(503, "no-endpoint", "Service Unavailable", "The App behind this Domain has no ready replica right now. Check <code>berth get app</code> and its events."),
  "upstream-error": page(502, "upstream-error", "Bad Gateway", "The App's replica could not be reached or broke the connection. Check <code>berth logs app/NAME</code>."),
  "upstream-timeout": page(504, "upstream-timeout", "Gateway Timeout", "The App's replica did not answer in time."),
};

/** ERROR_HEADER is the response header naming a proxy-made error, so clients and tests can tell it from an App's own error. */
export const ERROR_HEADER = "x-berth-proxy-error";
