// What leaves the process: no command-line secrets on the resource unless asked for, and no multi-megabyte span from
// one runaway error message. Child processes on the one-line setup, read back from a loopback OTLP receiver.
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixtures, runChild } from "./child-process.js";
import { startOtlpReceiver, type OtlpReceiver } from "./otlp-receiver.js";

const SECRET = "sk-live-0123456789abcdef";
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(() => {
  receiver.spans.length = 0;
  receiver.bodies.length = 0;
});

function run(serviceName: string, env: Record<string, string> = {}) {
  return runChild(["--import", "@telltale/node/register", path.join(fixtures, "error-app.mjs"), `--api-key=${SECRET}`], {
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    ...env,
  });
}

describe("secrets on the command line", () => {
  it("process.command_args is left off the resource by default, so a secret flag never leaves the process", async () => {
    const result = await run("no-args-app", { MESSAGE_BYTES: "10" });

    expect(result.code).toBe(0);
    const [span] = receiver.spans.filter((received) => received.serviceName === "no-args-app");
    expect(span?.name).toBe("invoke_agent summarise");
    expect(span?.resource).not.toHaveProperty("process.command_args");
    // The rest of the process resource is still there.
    expect(span?.resource["process.pid"]).toEqual(expect.any(Number));
    expect(span?.resource["process.command"]).toBe(path.join(fixtures, "error-app.mjs"));
    expect(receiver.bodies.join("\n")).not.toContain(SECRET);
  });

  it("TELLTALE_CAPTURE_COMMAND_ARGS=true records them", async () => {
    const result = await run("args-app", { MESSAGE_BYTES: "10", TELLTALE_CAPTURE_COMMAND_ARGS: "true" });

    expect(result.code).toBe(0);
    const [span] = receiver.spans.filter((received) => received.serviceName === "args-app");
    expect(span?.resource["process.command_args"]).toContain(`--api-key=${SECRET}`);
  });
});

describe("attribute size", () => {
  it("a 10 MB error message is cut to 16384 characters in the exception event and the status message", async () => {
    const result = await run("big-error-app");

    expect(result.code).toBe(0);
    const [span] = receiver.spans.filter((received) => received.serviceName === "big-error-app");
    const exception = span?.events.find((event) => event.name === "exception");
    expect(exception?.attributes["exception.message"]).toBe("x".repeat(16_384));
    expect(span?.status.message).toBe("x".repeat(16_384));
    expect(Math.max(...receiver.bodies.map((body) => body.length))).toBeLessThan(200_000);
  });

  it("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT overrides the default", async () => {
    const result = await run("limited-app", { MESSAGE_BYTES: "5000", OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: "100" });

    expect(result.code).toBe(0);
    const [span] = receiver.spans.filter((received) => received.serviceName === "limited-app");
    expect(span?.events.find((event) => event.name === "exception")?.attributes["exception.message"]).toBe("x".repeat(100));
    expect(span?.status.message).toBe("x".repeat(100));
  });
});
