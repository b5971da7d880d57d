import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_BASE_IMAGES, DetectionError, detectDockerfile, parseBaseImages, type BaseImages } from "../../../controllers/build/detect/index.ts";
import { ValidationError } from "../../../resources/errors.ts";

const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/detect/", import.meta.url));
const images: BaseImages = { node: "img/node", python: "img/python", go: "img/go", goRuntime: "img/go-runtime", static: "img/nginx" };

async function detect(fixture: string, options: { command?: string[]; port?: number; baseImages?: BaseImages } = {}) {
  return detectDockerfile(`${FIXTURES}${fixture}`, { baseImages: images, ...options });
}

/** instructions are a Dockerfile's lines without comments and blank lines. */
function instructions(dockerfile: string): string[] {
  return dockerfile.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
}

describe("detectDockerfile: Node.js", () => {
  it("npm with a lockfile: npm ci, the start script, NODE_ENV set after the install", async () => {
    const got = await detect("node-npm");
    assert.equal(got?.stack, "node");
    const lines = instructions(got!.dockerfile);
    assert.equal(lines[0], "FROM img/node");
    assert.ok(lines.includes("COPY package.json package-lock.json ./"));
    assert.ok(lines.indexOf("RUN npm ci") < lines.indexOf("ENV NODE_ENV=production"));
    assert.ok(!lines.some((l) => l.includes("run build")), "no build script, no build step");
    assert.equal(lines.at(-1), 'CMD ["npm","run","start"]');
    assert.ok(lines.includes("ENV PORT=8080") && lines.includes("EXPOSE 8080"));
  });

  it("yarn.lock means yarn; package.json's main is the command", async () => {
    const lines = instructions((await detect("node-yarn"))!.dockerfile);
    assert.ok(lines.includes("RUN command -v yarn >/dev/null || npm install -g yarn@1"));
    assert.ok(lines.includes("RUN yarn install --frozen-lockfile"));
    assert.equal(lines.at(-1), 'CMD ["node","index.js"]');
  });

  it("pnpm-lock.yaml means pnpm at packageManager's version; the build script runs", async () => {
    const lines = instructions((await detect("node-pnpm"))!.dockerfile);
    assert.ok(lines.includes("RUN npm install -g pnpm@9.12.0"));
    assert.ok(lines.includes("RUN pnpm install --frozen-lockfile"));
    assert.ok(lines.includes("RUN pnpm run build"));
    assert.equal(lines.at(-1), 'CMD ["pnpm","run","start"]');
  });

  it("a main that the build makes (TypeScript to dist/) is the command, not a reason to serve a static site", async () => {
    const got = await detect("node-typescript");
    assert.equal(got?.stack, "node");
    const lines = instructions(got!.dockerfile);
    assert.ok(lines.includes("RUN npm run build"));
    assert.equal(lines.at(-1), 'CMD ["node","dist/server.js"]');
  });

  it("a build script and no server is a static site: built by Node, served by the static image", async () => {
    const got = await detect("node-static");
    assert.equal(got?.stack, "static");
    const lines = instructions(got!.dockerfile);
    assert.equal(lines[0], "FROM img/node AS build");
    assert.ok(lines.includes("RUN npm run build"));
    assert.ok(lines.includes("FROM img/nginx"));
    assert.ok(lines.includes("COPY --from=build /site/ /usr/share/nginx/html"));
    assert.match(got!.dockerfile, /try_files \$uri \$uri\/ \/index.html/);
  });

  it("a start script that only runs a dev server (react-scripts start) is a site to build, not a server", async () => {
    const got = await detect("node-dev-server");
    assert.equal(got?.stack, "static");
    assert.ok(instructions(got!.dockerfile).includes("RUN yarn run build"));
  });

  it("neither a start script, a main, nor a build script: a DetectionError that says what to add", async () => {
    await assert.rejects(detect("node-no-start"), (e: unknown) => e instanceof DetectionError && /start script/.test(e.message));
  });
});

describe("detectDockerfile: Python", () => {
  it("requirements.txt into a virtual environment, then python app.py", async () => {
    const got = await detect("python-plain");
    assert.equal(got?.stack, "python");
    const lines = instructions(got!.dockerfile);
    assert.equal(lines[0], "FROM img/python");
    assert.ok(lines.includes("RUN python3 -m venv /venv"));
    assert.ok(lines.indexOf("COPY requirements.txt ./") < lines.indexOf("RUN pip install --no-cache-dir -r requirements.txt"));
    assert.equal(lines.at(-1), 'CMD ["python","app.py"]');
  });

  it("gunicorn listed: gunicorn serves app:app on the App's port", async () => {
    const got = await detect("python-gunicorn", { port: 5000 });
    assert.equal(instructions(got!.dockerfile).at(-1), 'CMD ["gunicorn","--bind","0.0.0.0:5000","app:app"]');
  });

  it("uvicorn in pyproject.toml: pip install . and uvicorn main:app", async () => {
    const lines = instructions((await detect("python-uvicorn"))!.dockerfile);
    assert.ok(lines.includes("RUN pip install --no-cache-dir ."));
    assert.equal(lines.at(-1), 'CMD ["uvicorn","main:app","--host","0.0.0.0","--port","8080"]');
  });

  it("Django with gunicorn: the project's wsgi module", async () => {
    assert.equal(instructions((await detect("python-django"))!.dockerfile).at(-1), 'CMD ["gunicorn","--bind","0.0.0.0:8080","mysite.wsgi"]');
  });
});

describe("detectDockerfile: Go", () => {
  it("a module whose root is package main: two stages, a static binary in the runtime image", async () => {
    const got = await detect("go-root");
    assert.equal(got?.stack, "go");
    const lines = instructions(got!.dockerfile);
    assert.equal(lines[0], "FROM img/go AS build");
    assert.ok(lines.includes("COPY go.mod go.sum* ./"));
    assert.ok(lines.includes('RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app .'));
    assert.ok(lines.includes("FROM img/go-runtime"));
    assert.ok(lines.includes("COPY --from=build /out/app /usr/local/bin/app"));
    assert.equal(lines.at(-1), 'CMD ["/usr/local/bin/app"]');
  });

  it("commands under cmd/: the one named after the module", async () => {
    assert.ok(instructions((await detect("go-cmd"))!.dockerfile).some((l) => l.endsWith("-o /out/app ./cmd/tool")));
  });
});

describe("detectDockerfile: static sites, commands, nothing", () => {
  it("index.html alone: nginx on the App's port without an SPA fallback", async () => {
    const got = await detect("static-plain", { port: 9000 });
    assert.equal(got?.stack, "static");
    assert.match(got!.dockerfile, /listen 9000;/);
    assert.match(got!.dockerfile, /try_files \$uri \$uri\/ =404/);
    assert.equal(instructions(got!.dockerfile).at(-1), 'CMD ["nginx","-g","daemon off;"]');
  });

  it("a committed build output (public/index.html) with nothing to build: that folder is served", async () => {
    const got = await detect("static-public");
    assert.equal(got?.stack, "static");
    assert.ok(instructions(got!.dockerfile).includes("COPY public/ /usr/share/nginx/html"));
  });

  it("a busybox static image: its httpd serves the site", async () => {
    const got = await detect("static-plain", { baseImages: { ...images, static: "local/busybox:1" } });
    const lines = instructions(got!.dockerfile);
    assert.ok(lines.includes("COPY . /www"));
    assert.equal(lines.at(-1), 'CMD ["httpd","-f","-v","-p","8080","-h","/www"]');
  });

  it("the Procfile's web: line wins over the start script, run by a shell", async () => {
    const got = await detect("procfile-node");
    assert.equal(instructions(got!.dockerfile).at(-1), 'CMD ["/bin/sh","-c","node web.js --port $PORT"]');
  });

  it("the App's command wins over the Procfile", async () => {
    const got = await detect("procfile-node", { command: ["node", "other.js"] });
    assert.equal(instructions(got!.dockerfile).at(-1), 'CMD ["node","other.js"]');
  });

  it("every instruction has a comment above it that says why", async () => {
    for (const fixture of ["node-npm", "node-static", "python-plain", "go-root", "static-plain"]) {
      const lines = (await detect(fixture))!.dockerfile.split("\n");
      lines.forEach((line, i) => {
        // An instruction may follow a commented one it belongs with (ENV PATH after the venv, WORKDIR after FROM).
        if (/^(FROM|RUN|COPY|CMD|EXPOSE|ENV)\b/.test(line))
          assert.ok(lines[i - 1]!.startsWith("#") || lines[i - 2]?.startsWith("#"), `${fixture}: no comment above "${line}"`);
      });
      assert.match(lines[0]!, /^# Generated by Berth/);
    }
  });

  it("nothing recognisable: undefined", async () => {
    assert.equal(await detect("empty"), undefined);
  });
});

describe("parseBaseImages", () => {
  it("overrides the official defaults key by key", () => {
    assert.deepEqual(parseBaseImages(undefined), DEFAULT_BASE_IMAGES);
    const parsed = parseBaseImages("node=local/node:22,go-runtime=local/debian,static=local/busybox");
    assert.equal(parsed.node, "local/node:22");
    assert.equal(parsed.goRuntime, "local/debian");
    assert.equal(parsed.python, DEFAULT_BASE_IMAGES.python);
  });

  it("an unknown stack or a missing image names the flag", () => {
    assert.throws(() => parseBaseImages("ruby=ruby:3"), (e: unknown) => e instanceof ValidationError && /--build-base-images: unknown stack "ruby"/.test(e.message));
    assert.throws(() => parseBaseImages("node="), (e: unknown) => e instanceof ValidationError && /node needs an image/.test(e.message));
  });
});

describe("berthd --build-base-images", () => {
  it("is accepted in its documented form and refused, naming the flag, otherwise", async () => {
    const { loadDaemonConfig } = await import("../../../resources/config.ts");
    const base = ["--data-dir", "/tmp/x", "--client-config-dir", "/tmp/y"];
    const config = loadDaemonConfig([...base, "--build-base-images", "node=local/node:22,static=local/busybox"]);
    assert.equal(parseBaseImages(config.buildBaseImages).static, "local/busybox");
    assert.throws(() => loadDaemonConfig([...base, "--build-base-images", "node local/node"]), /--build-base-images/);
  });
});
