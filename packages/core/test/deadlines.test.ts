// Deadlines and timeouts never break user work (F10): a deadline that is not a finite number of milliseconds is
// ignored (one diag report), a long one waits as long as it says (Node's timers take at most 2^31 - 1 ms and turn
// more into 1 ms), a tool's infinite timeout does not throw into the tool, and Telltale never makes Node print a
// warning.
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { context, trace } from "@opentelemetry/api";
import {
  DeadlineExceededError,
  extract,
  inject,
  retry,
  tool,
  workflow,
  type RunContext,
  type ToolOptions,
  type WorkflowOptions,
} from "@telltale/core";
import {
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_ERROR_CLASS,
} from "@telltale/core/attributes";
import { collectDiag } from "./diag.js";
import { setupOtel } from "./otel.js";

const otel = setupOtel();
const diagMessages = collectDiag();
const loose = <T>(value: unknown): T => value as T;

const NODE_TIMER_LIMIT_MS = 2 ** 31 - 1;
const warnings: Error[] = [];
beforeAll(() => {
  process.on("warning", (warning) => warnings.push(warning));
});
afterEach(() => {
  vi.useRealTimers();
});

/** Whether `signal` is still unaborted once a real 20 ms timer, armed after the one under test, has fired: a timer
 * that Node shortened to 1 ms fires first (timers fire in order of expiry), whatever the machine's load. */
async function stillRunningAfterATimer(signal: AbortSignal): Promise<boolean> {
  await sleep(20);
  return !signal.aborted;
}

/** Lets the process emit what is queued (a warning is emitted on the next tick). */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("workflow deadlines", () => {
  it.each([
    ["Infinity", Number.POSITIVE_INFINITY],
    ["NaN", Number.NaN],
    ["a numeric string", "5000"],
    ["negative", -1],
  ])("ignores a deadlineMs that is %s, and reports it", async (_label, deadlineMs) => {
    otel.reset();
    const running = await workflow("bad-deadline", loose<WorkflowOptions>({ deadlineMs }), (run) => {
      expect(run.remainingMs()).toBeUndefined();
      return stillRunningAfterATimer(run.signal);
    });
    expect(running).toBe(true);
    const root = otel.span("invoke_agent bad-deadline");
    expect(root.attributes[ATTR_TELLTALE_DEADLINE_EXCEEDED]).toBeUndefined();
    expect(root.attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS]).toBeUndefined();
    expect(diagMessages.matching("workflow", 'option "deadlineMs"')).toHaveLength(1);
    await settle();
    expect(warnings).toEqual([]);
  });

  it.each([NODE_TIMER_LIMIT_MS + 1, 2 ** 40])("keeps a deadline of %i ms running instead of firing it at once", async (deadlineMs) => {
    otel.reset();
    const running = await workflow("long-deadline", { deadlineMs }, async (run) => {
      expect(run.remainingMs()).toBeGreaterThan(NODE_TIMER_LIMIT_MS - 60_000);
      return stillRunningAfterATimer(run.signal);
    });
    expect(running).toBe(true);
    expect(otel.span("invoke_agent long-deadline").attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS]).toBe(deadlineMs);
    await settle();
    expect(warnings).toEqual([]);
  });

  it("fires a deadline past Node's timer limit when it passes, not before", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_000_000 });
    const deadlineMs = NODE_TIMER_LIMIT_MS + 60_000;
    let signal: AbortSignal | undefined;
    const done = workflow("weeks", { deadlineMs }, async (run) => {
      signal = run.signal;
      await new Promise<void>((resolve) => run.signal.addEventListener("abort", () => resolve()));
      return run.signal.reason;
    });
    vi.advanceTimersByTime(NODE_TIMER_LIMIT_MS);
    expect(signal?.aborted).toBe(false);
    vi.advanceTimersByTime(59_999);
    expect(signal?.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await done).toBeInstanceOf(DeadlineExceededError);
  });

  it("marks a workflow that failed of its deadline, enforced by someone else's timer a moment early, as past it", async () => {
    otel.reset();
    const frameworkTimeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const failure = new DeadlineExceededError(60_000, { cause: frameworkTimeout });
    await expect(workflow("framework-run", { deadlineMs: 60_000 }, () => Promise.reject(failure))).rejects.toBe(failure);
    const root = otel.span("invoke_agent framework-run");
    expect(root.attributes[ATTR_TELLTALE_DEADLINE_EXCEEDED]).toBe(true);
    expect(root.attributes[ATTR_TELLTALE_ERROR_CLASS]).toBe("deadline_exceeded");
    expect(failure.cause).toBe(frameworkTimeout);
  });
});

describe("a job's deadline from its carrier", () => {
  it.each([
    ["a string", "tomorrow"],
    ["too large a number", 1e300],
    ["null", null],
  ])("ignores a deadlineAt that is %s, and the job runs", async (_label, deadlineAt) => {
    const carrier = inject({}, trace.setSpan(context.active(), trace.getTracer("producer").startSpan("producer")));
    carrier["telltale-workflow"] = JSON.stringify({ name: "producer", deadlineAt });
    const running = await extract(carrier, () => tool("consume", (run) => stillRunningAfterATimer(run.signal)));
    expect(running).toBe(true);
    expect(diagMessages.matching("extract", 'option "deadlineAt"')).toHaveLength(1);
    await settle();
    expect(warnings).toEqual([]);
  });
});

describe("tool timeouts", () => {
  it("ignores timeoutMs: Infinity instead of throwing a RangeError into the tool", async () => {
    const value = await workflow("infinite-timeout", () =>
      tool("wait", loose<ToolOptions>({ timeoutMs: Number.POSITIVE_INFINITY }), async (run: RunContext) => {
        expect(await stillRunningAfterATimer(run.signal)).toBe(true);
        return "done";
      }),
    );
    expect(value).toBe("done");
    expect(diagMessages.matching("tool", 'option "timeoutMs"', "Infinity")).toHaveLength(1);
    await settle();
    expect(warnings).toEqual([]);
  });

  it("keeps a timeout past Node's timer limit running, and still aborts a short one with a TimeoutError", async () => {
    const long = await tool("long", { timeoutMs: NODE_TIMER_LIMIT_MS + 5 }, (run) => stillRunningAfterATimer(run.signal));
    expect(long).toBe(true);
    const reason = await tool("short", { timeoutMs: 1 }, async (run) => {
      await new Promise<void>((resolve) => run.signal.addEventListener("abort", () => resolve()));
      return run.signal.reason as unknown;
    });
    expect(reason).toMatchObject({ name: "TimeoutError" });
    await settle();
    expect(warnings).toEqual([]);
  });
});

describe("retry waits", () => {
  it("waits a delay past Node's timer limit without a warning, cut short by the signal", async () => {
    const controller = new AbortController();
    const failure = Object.assign(new Error("busy"), { status: 503 });
    const caught = await retry(
      (attempt) => {
        if (attempt.number === 1) setImmediate(() => controller.abort());
        throw failure;
      },
      { name: "long-wait", delayMs: () => NODE_TIMER_LIMIT_MS * 2, signal: controller.signal },
    ).catch((error: unknown) => error);
    expect(caught).toBe(failure);
    await settle();
    expect(warnings).toEqual([]);
  });
});
