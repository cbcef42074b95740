// Scenarios the openai and anthropic tests run the same way against their own SDK: what they assert is the
// Stainless machinery of @telltale/instrumentation-common, not the provider.
import { execFile } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { promisify } from "node:util";
import { SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { BudgetExceededError, workflow } from "@telltale/core";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_NUMBER,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  EVENT_TELLTALE_ATTEMPT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_TELLTALE_RETRIES,
} from "@telltale/core/attributes";
import { expect } from "vitest";
import type { RoutedMeter } from "./metric-reader.js";
import { attr, metricPoints, spans } from "./telemetry.js";

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The span of a call the mock answered 429 (retry-after-ms 20), 429 (retry-after-ms 30), 200: three attempts with
 * their statuses, classes and waits on one successful span.
 */
export function expectRateLimitedTwiceThenOk(span: ReadableSpan): void {
  expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  expect(span.attributes).toMatchObject({
    [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [429, 429, 200],
    [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["rate_limit", "rate_limit", "ok"],
    [ATTR_TELLTALE_RETRY_COUNT]: 2,
    [ATTR_HTTP_REQUEST_RESEND_COUNT]: 2,
    [ATTR_TELLTALE_RETRY_REASONS]: ["rate_limit", "rate_limit"],
    [ATTR_TELLTALE_KEEP]: true,
  });
  expect(attr(span, ATTR_TELLTALE_KEEP_REASONS)).toContain("retried");
  const waits = attr(span, ATTR_TELLTALE_ATTEMPT_WAITS_MS) as number[];
  expect(waits[0]).toBe(0);
  // The SDK sleeps for retry-after-ms before each retry: the recorded wait includes at least that.
  expect(waits[1]).toBeGreaterThanOrEqual(20);
  expect(waits[2]).toBeGreaterThanOrEqual(30);
  expect(attr(span, ATTR_TELLTALE_RETRY_WAIT_MS)).toBe(waits[0]! + waits[1]! + waits[2]!);
  const attempts = span.events.filter((e) => e.name === EVENT_TELLTALE_ATTEMPT);
  expect(attempts.map((e) => e.attributes?.[ATTR_TELLTALE_ATTEMPT_NUMBER])).toEqual([1, 2, 3]);
  expect(attempts.map((e) => e.attributes?.[ATTR_HTTP_RESPONSE_STATUS_CODE])).toEqual([429, 429, 200]);
}

/**
 * Runs `call` twice in an enforce-mode workflow whose 5-token budget the first call exhausts: the second call is
 * refused with BudgetExceededError before it reaches the server, and its span (named `spanName`) says so.
 */
export async function expectEnforcedBudgetRefusal(
  call: () => Promise<unknown>,
  spanName: string,
  server: { readonly requests: readonly unknown[] },
): Promise<void> {
  const outcome = await workflow("tight", { budget: { tokens: 5, mode: "enforce" } }, async () => {
    await call();
    return call().then(
      () => "sent",
      (err: unknown) => err,
    );
  }).catch((err: unknown) => err);
  expect(outcome).toBeInstanceOf(BudgetExceededError);
  expect(server.requests).toHaveLength(1);
  const calls = spans().filter((s) => s.name === spanName);
  expect(calls).toHaveLength(2);
  expect(calls.some((s) => s.attributes[ATTR_TELLTALE_BUDGET_EXCEEDED] === true)).toBe(true);
  expect(calls.some((s) => s.attributes[ATTR_TELLTALE_ERROR_CLASS] === "budget_exceeded")).toBe(true);
}

/**
 * After one chat call the mock answered 429 then 200, made through an instrumentation (meter name `scope`) whose
 * meter provider was set to `routed`: its duration, token usage and retry metrics (for `provider`) are all in
 * `routed`, and none reached the global meter provider.
 */
export async function expectMetricsRoutedTo(routed: RoutedMeter, scope: string, provider: string): Promise<void> {
  const durations = await routed.points(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
  expect(durations.map((d) => d.scope)).toContain(scope);
  expect(durations.some((d) => d.point.attributes[ATTR_GEN_AI_OPERATION_NAME] === "chat" && d.point.attributes[ATTR_GEN_AI_PROVIDER_NAME] === provider)).toBe(true);
  const tokens = await routed.points(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
  expect(new Set(tokens.map((t) => t.point.attributes[ATTR_GEN_AI_TOKEN_TYPE]))).toEqual(new Set(["input", "output"]));
  const retries = await routed.points(METRIC_TELLTALE_RETRIES);
  expect(retries.map((r) => [r.point.attributes[ATTR_GEN_AI_OPERATION_NAME], r.point.attributes[ATTR_TELLTALE_ERROR_CLASS]])).toContainEqual(["chat", "rate_limit"]);

  // Nothing of the call went to the global provider.
  expect(await metricPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).toEqual([]);
  expect(await metricPoints(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toEqual([]);
}

/** What a hook fixture child process (see the packages' test/fixtures) prints on stdout. */
export interface ChildReport {
  loader: string;
  spans: Array<{ name: string; attributes: Record<string, unknown> }>;
}

const run = promisify(execFile);

/** Runs `node <args>` (a fixture app, as an app would run) and parses the report it prints. */
export async function runChild(args: string[], env: Record<string, string> = {}): Promise<ChildReport> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  // The child reads the opt-in only when a test sets it, whatever the developer's shell exports.
  if (env.OTEL_SEMCONV_STABILITY_OPT_IN === undefined) delete childEnv.OTEL_SEMCONV_STABILITY_OPT_IN;
  const { stdout } = await run(process.execPath, args, { timeout: 30_000, env: childEnv });
  return JSON.parse(stdout) as ChildReport;
}
