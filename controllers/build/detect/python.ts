import { DetectionError } from "./errors.ts";
import { DockerfileWriter, describeStart, header, portLines, type StartCommand } from "./dockerfile-writer.ts";
import type { SourceDir } from "./source-dir.ts";
import type { DetectedBuild, StackInput } from "./stack.ts";

/** listed says whether a requirement `name` appears in requirements.txt or pyproject.toml text. */
function listed(text: string, name: string): boolean {
  return new RegExp(`(^|["'\\s])${name}(\\[[^\\]]*\\])?\\s*([<>=!~;,"'\\s]|$)`, "im").test(text);
}

/** djangoWsgi finds a Django project's WSGI module (`<project>/wsgi.py` beside manage.py). */
async function djangoWsgi(dir: SourceDir): Promise<string | undefined> {
  if (!(await dir.isFile("manage.py"))) return undefined;
  for (const entry of await dir.entries()) if (await dir.isFile(`${entry}/wsgi.py`)) return `${entry}.wsgi`;
  return undefined;
}

/**
 * pythonStart chooses the server: uvicorn when listed (ASGI: FastAPI, Starlette), else gunicorn when listed
 * (WSGI: Flask, Django), else the app's own `app.py` or `main.py`.
 */
async function pythonStart(dir: SourceDir, requirements: string, port: number): Promise<StartCommand | undefined> {
  const module = (await dir.firstFile(["main.py", "app.py", "asgi.py", "wsgi.py"]))?.replace(/\.py$/, "");
  const bind = `0.0.0.0:${port}`;
  if (listed(requirements, "uvicorn") && module)
    return { kind: "exec", argv: ["uvicorn", `${module}:app`, "--host", "0.0.0.0", "--port", String(port)], origin: `uvicorn (listed in the requirements), serving ${module}:app` };
  if (listed(requirements, "gunicorn")) {
    const wsgi = (await djangoWsgi(dir)) ?? ((await dir.isFile("app.py")) ? "app:app" : (await dir.isFile("wsgi.py")) ? "wsgi" : module ? `${module}:app` : undefined);
    if (wsgi) return { kind: "exec", argv: ["gunicorn", "--bind", bind, wsgi], origin: `gunicorn (listed in the requirements), serving ${wsgi}` };
  }
  const script = await dir.firstFile(["app.py", "main.py"]);
  return script ? { kind: "exec", argv: ["python", script], origin: `python ${script}` } : undefined;
}

/**
 * detectPython recognises a Python project (requirements.txt or pyproject.toml): dependencies go into a
 * virtual environment (Debian's Python refuses system-wide pip installs; official images accept both).
 */
export async function detectPython(input: StackInput): Promise<DetectedBuild | undefined> {
  const { dir } = input;
  const requirementsTxt = await dir.text("requirements.txt");
  const pyproject = await dir.text("pyproject.toml");
  if (requirementsTxt === undefined && pyproject === undefined) return undefined;
  const start = input.start ?? (await pythonStart(dir, `${requirementsTxt ?? ""}\n${pyproject ?? ""}`, input.port));
  if (!start) throw new DetectionError("no app.py or main.py and no gunicorn or uvicorn in the requirements: add a Procfile with a web: line, or a Dockerfile");
  const writer = header(new DockerfileWriter(), `a Python app (${requirementsTxt !== undefined ? "requirements.txt" : "pyproject.toml"})`);
  writer.step("The Python base image (berthd --build-base-images python=IMAGE).", `FROM ${input.images.python}`);
  writer.step("No .pyc files in the image, and logs reach `berth logs` at once instead of sitting in a buffer.", "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1");
  writer.add("WORKDIR /app");
  writer.step("A virtual environment holds the dependencies; putting it first on PATH makes its python and pip the default.", "RUN python3 -m venv /venv");
  writer.add("ENV PATH=/venv/bin:$PATH");
  if (requirementsTxt !== undefined) {
    writer.step("Copy the requirements first, so the dependency layer is rebuilt only when they change.", "COPY requirements.txt ./");
    writer.step("Install the pinned dependencies.", "RUN pip install --no-cache-dir -r requirements.txt");
    writer.step("Then the sources.", "COPY . .");
  } else {
    writer.step("pyproject.toml describes the project: install it with its dependencies.", "COPY . .");
    writer.add("RUN pip install --no-cache-dir .");
  }
  portLines(writer, input.port);
  writer.cmd(describeStart(start), start);
  return { dockerfile: writer.toString(), stack: "python" };
}
