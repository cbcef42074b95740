import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BUILT_IN_SCENARIOS, FAULT_KINDS, parseFaultScript, startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { post } from "./helpers.js";

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/cli.mjs");
const chatBody = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };

describe("fault script validation", () => {
  it("accepts the documented JSON forms", () => {
    expect(parseFaultScript([{ kind: "error", status: 503 }, { kind: "ok" }])).toEqual({
      sequence: [{ kind: "error", status: 503 }, { kind: "ok" }],
    });
    const script = {
      sequence: [{ kind: "latency", ms: 5 }],
      routes: { messages: [{ kind: "error", error: "overloaded", retryAfterMs: 10 }] },
      scenarios: { cut: [{ kind: "stream_cut", afterChunks: 1 }] },
      fallback: { kind: "empty" },
    };
    expect(parseFaultScript(script)).toEqual(script);
  });

  it.each([
    [{ sequence: [{ kind: "explode" }] }, "sequence[0].kind: expected one of ok, latency"],
    [{ sequence: [{ kind: "error" }] }, "sequence[0]: an error step needs `error` or `status`"],
    [{ routes: { completions: [] } }, "routes.completions: expected one of chat.completions"],
    [{ scenarios: { slow: [{ kind: "latency" }] } }, "scenarios.slow[0].ms: latency needs ms"],
    [{ sequence: [{ kind: "error", error: "teapot" }] }, "sequence[0].error: expected one of rate_limit"],
    [{ sequence: [{ kind: "ok", delayMs: -1 }] }, "sequence[0].delayMs: expected a non-negative number"],
  ])("rejects %j", (script, message) => {
    expect(() => parseFaultScript(script)).toThrow(message);
  });

  it("ships a built-in scenario for every parameterless fault kind", () => {
    for (const kind of FAULT_KINDS.filter((kind) => !["latency", "error"].includes(kind))) {
      expect(BUILT_IN_SCENARIOS[kind]).toEqual({ steps: [{ kind }], repeat: true });
    }
  });
});

describe("server lifecycle", () => {
  let mock: MockLlm | undefined;
  afterEach(async () => {
    await mock?.close();
  });

  it("reset() forgets requests and rewinds the script", async () => {
    mock = await startMockLlm({ script: { sequence: [{ kind: "error", status: 500 }] } });
    mock.enqueue({ kind: "error", status: 400 });
    expect((await post(mock, "/v1/chat/completions", chatBody)).status).toBe(400);
    expect((await post(mock, "/v1/chat/completions", chatBody)).status).toBe(500);
    expect((await post(mock, "/v1/chat/completions", chatBody)).status).toBe(200);
    mock.enqueue({ kind: "error", status: 400 });
    mock.reset();
    expect(mock.requests).toHaveLength(0);
    expect((await post(mock, "/v1/chat/completions", chatBody)).status).toBe(500);
    expect(mock.requests.map((request) => [request.index, request.attempt])).toEqual([[1, 1]]);
  });

  it("lets the client abort during a latency step, and close() ends pending delays", async () => {
    mock = await startMockLlm({ script: { sequence: [{ kind: "latency", ms: 60_000 }, { kind: "ok", delayMs: 60_000 }] } });
    const controller = new AbortController();
    const slow = post(mock, "/v1/chat/completions", chatBody, { signal: controller.signal });
    await mock.waitForRequests(1);
    controller.abort();
    await expect(slow).rejects.toMatchObject({ name: "AbortError" });
    const delayed = post(mock, "/v1/chat/completions", chatBody);
    await mock.waitForRequests(2);
    await mock.close();
    await expect(delayed).rejects.toThrow(TypeError);
  });

  it("takes created timestamps from now()", async () => {
    mock = await startMockLlm({ now: () => 1_700_000_000 });
    const completion = (await (await post(mock, "/v1/chat/completions", chatBody)).json()) as { created: number };
    const response = (await (await post(mock, "/v1/responses", { model: "m", input: "x" })).json()) as { created_at: number };
    expect([completion.created, response.created_at]).toEqual([1_700_000_000, 1_700_000_000]);
  });

  it("answers a request body that is not JSON with a 400", async () => {
    mock = await startMockLlm();
    const response = await fetch(`${mock.url}/v1/chat/completions`, { method: "POST", body: "{nope" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });
});

describe("CLI", () => {
  it("serves the JSON script given with --script", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "mock-llm-cli-"));
    const scriptPath = path.join(folder, "faults.json");
    writeFileSync(scriptPath, JSON.stringify({ sequence: [{ kind: "error", error: "rate_limit", retryAfterMs: 25 }, { kind: "ok", text: "from the cli" }] }));
    const child = spawn(process.execPath, [CLI, "--port", "0", "--seed", "2", "--script", scriptPath], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
      expect(url).toBeDefined();
      const send = () =>
        fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(chatBody) });
      const limited = await send();
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after-ms")).toBe("25");
      const ok = (await (await send()).json()) as { choices: Array<{ message: { content: string } }> };
      expect(ok.choices[0]?.message.content).toBe("from the cli");
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it("exits 1 with the validation error for a bad script", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "mock-llm-cli-"));
    const scriptPath = path.join(folder, "bad.json");
    writeFileSync(scriptPath, JSON.stringify({ sequence: [{ kind: "nope" }] }));
    const child = spawn(process.execPath, [CLI, "--port", "0", "--script", scriptPath], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain("Invalid fault script at sequence[0].kind");
  });
});

describe("package manifest", () => {
  it("declares no dependency or peer dependency that its source does not import", () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    const declared = [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies].flatMap((deps) => Object.keys(deps ?? {}));
    const sources = readdirSync(path.join(root, "src"))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => readFileSync(path.join(root, "src", file), "utf8"))
      .join("\n");
    for (const name of declared) expect(sources, `${name} is declared`).toContain(`from "${name}`);
  });
});
