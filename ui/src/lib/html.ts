import htm from "htm";
import { h } from "preact";

/** html is Preact's `h` behind htm's tagged templates: JSX-like views without a compile step of their own. */
export const html = htm.bind(h);
