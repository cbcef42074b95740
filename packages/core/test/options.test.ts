// Bad options get a clear report, never a silent reinterpretation: every option of workflow, step, tool, retry,
// spawn and startLlmCall that breaks its rule is reported once through diag (naming the option and the value) and
// treated as absent, while the user's function still runs and its result or error passes through unchanged.
import { describe, expect, it } from "vitest";
import { trace, type Tracer } from "@opentelemetry/api";
import {
  retry,
  spawn,
  step,
  tool,
  workflow,
  type RetryPolicy,
  type SpawnOptions,
  type StepOptions,
  type ToolOptions,
  type WorkflowOptions,
} from "@telltale/core";
import { budgetCheck, startLlmCall, type LlmCallOptions } from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_TELLTALE_BUDGET_MODE,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED,
  ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
} from "@telltale/core/attributes";
import { collectDiag } from "./diag.js";
import { parentId, setupOtel, spanId, traceId } from "./otel.js";

const otel = setupOtel();
const diagMessages = collectDiag();

// What a JavaScript caller (or a config file) can pass where TypeScript would refuse it.
const loose = <T>(value: unknown): T => value as T;

describe("workflow options", () => {
  it('reads steps: "abc" as no declared steps, not as the steps a, b, c', async () => {
    otel.reset();
    const result = await workflow("letters", loose<WorkflowOptions>({ steps: "abc" }), () => step("a", () => "ran"));
    expect(result).toBe("ran");
    const root = otel.span("invoke_agent letters");
    expect(root.attributes[ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED]).toBeUndefined();
    expect(root.attributes[ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]).toBeUndefined();
    expect(root.attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME]).toBe("ok");
    expect(diagMessages.matching("workflow", 'option "steps"', '"abc"', "ignored")).toHaveLength(1);
    // Through core's component logger: its namespace first, the message lowercase and unprefixed.
    expect(diagMessages.entries).toContainEqual([
      "@telltale/core",
      'workflow: option "steps" must be an array of non-empty strings; got "abc". It is ignored.',
    ]);
  });

  it("ignores a negative token budget instead of refusing the first call", async () => {
    otel.reset();
    const refusals = await workflow("negative", { budget: { tokens: -5, mode: "enforce" } }, () => [budgetCheck()]);
    expect(refusals).toEqual([undefined]);
    const root = otel.span("invoke_agent negative");
    expect(root.attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]).toBeUndefined();
    expect(root.attributes[ATTR_TELLTALE_BUDGET_MODE]).toBe("enforce");
    expect(diagMessages.matching("workflow", 'option "budget.tokens"', "-5")).toHaveLength(1);
  });

  it.each([
    ["null options", (fn: () => Promise<string>) => workflow("null-options", loose<WorkflowOptions>(null), fn), "null-options"],
    ["steps: null", (fn: () => Promise<string>) => workflow("null-steps", loose<WorkflowOptions>({ steps: null }), fn), "null-steps"],
  ])("keeps the workflow span and its children's parent with %s", async (_label, run, name) => {
    otel.reset();
    expect(await run(() => step("inner", () => "value"))).toBe("value");
    const root = otel.span(`invoke_agent ${name}`);
    const inner = otel.span("step inner");
    expect(parentId(inner)).toBe(spanId(root));
    expect(traceId(inner)).toBe(traceId(root));
    expect(inner.attributes[ATTR_TELLTALE_ORPHAN]).toBeUndefined();
  });

  it("reports an unknown option by name, and each bad option once however often it is passed", async () => {
    const before = diagMessages.warnings.length;
    for (let run = 0; run < 3; run += 1) {
      await workflow("typo", loose<WorkflowOptions>({ deadline: 5_000, conversationId: 42, attributes: ["a", ""] }), () => undefined);
    }
    const reports = diagMessages.warnings.slice(before);
    expect(reports).toHaveLength(3);
    expect(diagMessages.matching('option "deadline"', "5000")).toHaveLength(1);
    expect(diagMessages.matching('option "conversationId"', "42")).toHaveLength(1);
    expect(diagMessages.matching('option "attributes"', '["a",""]')).toHaveLength(1);
  });

  it("reads options from getters and prototypes, as a plain property read would", async () => {
    otel.reset();
    class Settings {
      get steps(): string[] {
        return ["a"];
      }
    }
    await workflow("from-getter", new Settings() as WorkflowOptions, () => step("a", () => "x"));
    await workflow("from-prototype", Object.create({ steps: ["a"] }) as WorkflowOptions, () => step("a", () => "x"));
    for (const name of ["from-getter", "from-prototype"]) {
      expect(otel.span(`invoke_agent ${name}`).attributes[ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED], name).toEqual(["a"]);
    }
  });

  it("runs an unnamed workflow under the bare operation name", async () => {
    otel.reset();
    expect(await workflow(loose<string>(undefined), () => "unnamed")).toBe("unnamed");
    expect(otel.spans().map((span) => span.name)).toEqual(["invoke_agent"]);
    expect(diagMessages.matching("workflow", "name", "undefined")).toHaveLength(1);
  });
});

describe("step, tool and spawn options", () => {
  it("ignores bad tool options and keeps the good ones", async () => {
    otel.reset();
    const failure = new Error("tool failed");
    await workflow("tools", { steps: ["lookup"] }, async () => {
      expect(await tool("lookup", loose<ToolOptions>({ timeoutMs: "100", sideEffect: "yes", callId: 7, type: "function" }), () => "found")).toBe("found");
      await expect(tool("write", loose<ToolOptions>({ sideEffect: true, idempotencyKey: 42 }), () => Promise.reject(failure))).rejects.toBe(failure);
      expect(await tool("check", loose<ToolOptions>({ isError: "never" }), () => ({ isError: true, content: ["x"] }))).toEqual({ isError: true, content: ["x"] });
    });
    const lookup = otel.span("execute_tool lookup");
    expect(lookup.attributes[ATTR_TELLTALE_TOOL_TIMEOUT_MS]).toBeUndefined();
    expect(lookup.attributes[ATTR_TELLTALE_SIDE_EFFECT]).toBeUndefined();
    expect(otel.span("invoke_agent tools").attributes[ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]).toEqual(["lookup"]);
    // The key was not a string: the side effect ran without one.
    expect(otel.span("execute_tool write").attributes[ATTR_TELLTALE_IDEMPOTENCY_MISSING]).toBe(true);
    expect(diagMessages.matching("tool", 'option "timeoutMs"', '"100"')).toHaveLength(1);
    expect(diagMessages.matching("tool", 'option "sideEffect"', '"yes"')).toHaveLength(1);
    expect(diagMessages.matching("tool", 'option "callId"', "7")).toHaveLength(1);
    expect(diagMessages.matching("tool", 'option "idempotencyKey"', "42")).toHaveLength(1);
    expect(diagMessages.matching("tool", 'option "isError"', '"never"')).toHaveLength(1);
  });

  it("ignores bad step and spawn options", async () => {
    otel.reset();
    const failure = new Error("spawned work failed");
    await workflow("others", async () => {
      expect(await step("s", loose<StepOptions>({ attributes: "x" }), () => 1)).toBe(1);
      // rethrow: "yes" is not true: the failure is recorded and the promise resolves.
      await expect(spawn("bg", () => Promise.reject(failure), loose<SpawnOptions>({ rethrow: "yes" }))).resolves.toBeUndefined();
    });
    expect(otel.span("step s").attributes["0"]).toBeUndefined();
    expect(diagMessages.matching("step", 'option "attributes"', '"x"')).toHaveLength(1);
    expect(diagMessages.matching("spawn", 'option "rethrow"', '"yes"')).toHaveLength(1);
  });
});

describe("retry options", () => {
  it("falls back to the defaults for bad values and passes the last error through", async () => {
    otel.reset();
    const failure = Object.assign(new Error("503"), { status: 503 });
    let attempts = 0;
    const caught = await retry(
      () => {
        attempts += 1;
        throw failure;
      },
      loose<RetryPolicy>({
        name: "bad-policy",
        maxAttempts: "2",
        initialDelayMs: -5,
        maxDelayMs: Number.NaN,
        multiplier: 0,
        jitter: "no",
        signal: {},
        delayMs: () => 0,
      }),
    ).catch((error: unknown) => error);
    expect(caught).toBe(failure);
    expect(attempts).toBe(3);
    expect(otel.span("retry bad-policy").attributes[ATTR_TELLTALE_RETRY_COUNT]).toBe(2);
    for (const [option, value] of [
      ["maxAttempts", '"2"'],
      ["initialDelayMs", "-5"],
      ["maxDelayMs", "NaN"],
      ["multiplier", "0"],
      ["jitter", '"no"'],
      ["signal", "{}"],
    ]) {
      expect(diagMessages.matching("retry", `option "${option}"`, value!), option).toHaveLength(1);
    }
  });
});

describe("startLlmCall options", () => {
  it("does not throw without options, and still ends a span", () => {
    otel.reset();
    const call = startLlmCall(trace.getTracer("test"), loose<LlmCallOptions>(undefined));
    call.recordUsage({ inputTokens: 1, outputTokens: 1 });
    call.end();
    const [span] = otel.spans();
    expect(span?.name).toBe("gen_ai");
    expect(span?.attributes[ATTR_GEN_AI_OPERATION_NAME]).toBeUndefined();
    // The two options a call cannot do without are reported missing.
    expect(diagMessages.matching("startLlmCall", 'option "provider"', "undefined")).toHaveLength(1);
    expect(diagMessages.matching("startLlmCall", 'option "operation"', "undefined")).toHaveLength(1);
  });

  it("ignores bad fields and a missing tracer", () => {
    otel.reset();
    const call = startLlmCall(loose<Tracer>(undefined), loose<LlmCallOptions>({ provider: "openai", operation: "chat", requestModel: 4, serverPort: 70_000, stream: "yes" }));
    call.end();
    const span = otel.span("chat");
    expect(span.attributes).toMatchObject({ [ATTR_GEN_AI_OPERATION_NAME]: "chat", [ATTR_GEN_AI_PROVIDER_NAME]: "openai" });
    expect(diagMessages.matching("startLlmCall", "tracer", "undefined")).toHaveLength(1);
    expect(diagMessages.matching("startLlmCall", 'option "requestModel"', "4")).toHaveLength(1);
    expect(diagMessages.matching("startLlmCall", 'option "serverPort"', "70000")).toHaveLength(1);
    expect(diagMessages.matching("startLlmCall", 'option "stream"', '"yes"')).toHaveLength(1);
  });
});
