import "./style.css";
import { render } from "preact";
import { html } from "./lib/html.ts";
import { Shell } from "./views/shell.ts";

const root = document.getElementById("root")!;
root.textContent = "";
render(html`<${Shell} />`, root);
