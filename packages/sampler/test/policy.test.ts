import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  defaultPolicy,
  loadPolicyFile,
  parsePolicy,
  parsePolicyText,
  PolicyError,
  PolicyFileError,
} from "@telltale/sampler";
import { MAX_POLICY_FILE_BYTES } from "../src/policy.js";
import { describe, expect, it } from "vitest";

describe("parsePolicy", () => {
  it("fills everything left out from the default policy", () => {
    const policy = parsePolicy({ rules: { slow: { thresholdMs: 5000 } }, baseline: { percentage: 0 } });
    expect(policy.rules.slow).toEqual({ thresholdMs: 5000, workflows: {} });
    expect(policy.rules.error).toBe(true);
    expect(policy.rules.retries).toEqual({ min: 1 });
    expect(policy.baseline).toEqual({ percentage: 0, hashSalt: "telltale" });
    expect(policy.buffer).toEqual(defaultPolicy.buffer);
  });

  it("disables rules with false and keeps per-workflow thresholds", () => {
    const policy = parsePolicy({
      rules: { slow: { thresholdMs: 10000, workflows: { ingest: 60000 } }, retries: false, orphan: false },
    });
    expect(policy.rules.slow).toEqual({ thresholdMs: 10000, workflows: { ingest: 60000 } });
    expect(policy.rules.retries).toBe(false);
    expect(policy.rules.orphan).toBe(false);
    expect(policy.rules.late).toBe(true);
  });

  it.each([
    [{ rules: { retries: { min: "x" } } }, 'telltale policy: "rules.retries.min" must be an integer from 1 to 1000000, got "x"'],
    [{ rules: { retries: { min: 0 } } }, 'telltale policy: "rules.retries.min" must be an integer from 1 to 1000000, got 0'],
    [{ rules: { error: "yes" } }, 'telltale policy: "rules.error" must be true or false, got "yes"'],
    [{ baseline: { percentage: 150 } }, 'telltale policy: "baseline.percentage" must be a number from 0 to 100, got 150'],
    [{ baseline: { hashSalt: "" } }, 'telltale policy: "baseline.hashSalt" must be a non-empty string, got ""'],
    [{ rules: { slow: { thresholdMs: -1 } } }, 'telltale policy: "rules.slow.thresholdMs" must be an integer from 0 to 2147483647, got -1'],
    [
      { rules: { slow: { workflows: { ingest: 2.5 } } } },
      'telltale policy: "rules.slow.workflows.ingest" must be an integer from 1 to 2147483647, got 2.5',
    ],
    [
      { rules: { slow: 3 } },
      'telltale policy: "rules.slow" must be false or a mapping with thresholdMs, workflows, got 3',
    ],
    [
      { rules: { errors: true } },
      'telltale policy: "rules.errors" is not a policy key; allowed keys here: error, slow, budgetExceeded, partial, softError, retries, late, orphan, duplicate, keep, got true',
    ],
    [
      { sampling: {} },
      'telltale policy: "sampling" is not a policy key; allowed keys here: rules, baseline, buffer, got {}',
    ],
    [
      { buffer: { maxTraceAgeMs: 1000, decisionWaitMs: 2000 } },
      'telltale policy: "buffer.maxTraceAgeMs" must be >= buffer.decisionWaitMs (2000), got 1000',
    ],
  ])("rejects %j naming the key", (input, message) => {
    expect(() => parsePolicy(input)).toThrow(PolicyError);
    expect(() => parsePolicy(input)).toThrow(message);
  });

  // Node's timers hold at most 2^31-1 ms: a longer delay silently becomes 1 ms (a spinning decision timer).
  it.each([
    ["buffer.decisionWaitMs", { buffer: { decisionWaitMs: 2 ** 31 } }, "must be an integer from 0 to 2147483647, got 2147483648"],
    ["buffer.maxTraceAgeMs", { buffer: { maxTraceAgeMs: 3e9 } }, "must be an integer from 1 to 2147483647, got 3000000000"],
    ["buffer.maxTraceAgeMs", { buffer: { maxTraceAgeMs: 0 } }, "must be an integer from 1 to 2147483647, got 0"],
    ["buffer.maxTraces", { buffer: { maxTraces: 0 } }, "must be an integer from 1 to 10000000, got 0"],
    ["buffer.maxTraces", { buffer: { maxTraces: 1e9 } }, "must be an integer from 1 to 10000000, got 1000000000"],
    ["buffer.maxSpansPerTrace", { buffer: { maxSpansPerTrace: -5 } }, "must be an integer from 1 to 1000000, got -5"],
    ["buffer.decisionCacheSize", { buffer: { decisionCacheSize: 1.5 } }, "must be an integer from 0 to 10000000, got 1.5"],
    ["buffer.maxBufferBytes", { buffer: { maxBufferBytes: 1000 } }, "must be an integer from 65536 to 68719476736, got 1000"],
    ["buffer.maxExportQueueBytes", { buffer: { maxExportQueueBytes: "64MB" } }, 'must be an integer from 65536 to 68719476736, got "64MB"'],
    ["rules.slow.thresholdMs", { rules: { slow: { thresholdMs: 1e12 } } }, "must be an integer from 0 to 2147483647, got 1000000000000"],
    ["rules.retries.min", { rules: { retries: { min: Number.POSITIVE_INFINITY } } }, "must be an integer from 1 to 1000000, got Infinity"],
  ])("checks %s against its real range", (key, input, expectation) => {
    expect(() => parsePolicy(input)).toThrow(`telltale policy: "${key}" ${expectation}`);
  });

  it("accepts the largest timer Node can hold and byte budgets", () => {
    const policy = parsePolicy({ buffer: { maxTraceAgeMs: 2 ** 31 - 1, maxBufferBytes: 8 << 20, maxExportQueueBytes: 4 << 20 } });
    expect(policy.buffer).toMatchObject({ maxTraceAgeMs: 2147483647, maxBufferBytes: 8388608, maxExportQueueBytes: 4194304 });
  });

  it("reports the key on the error object", () => {
    try {
      parsePolicy({ buffer: { maxTraces: 0 } });
      expect.unreachable();
    } catch (error) {
      expect((error as PolicyError).key).toBe("buffer.maxTraces");
    }
  });
});

describe("one policy, one default", () => {
  it("the deploy policy decides after the same wait as the in-process default (it inherits it)", () => {
    const deployPolicy = loadPolicyFile(path.join(import.meta.dirname, "../../../deploy/collector/policy.yaml"));
    expect(deployPolicy.buffer.decisionWaitMs).toBe(defaultPolicy.buffer.decisionWaitMs);
    expect(defaultPolicy.buffer.decisionWaitMs).toBe(10_000);
  });
});

describe("policy files", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "telltale-policy-"));

  it("loads YAML", () => {
    const file = path.join(dir, "policy.yaml");
    writeFileSync(
      file,
      ["rules:", "  slow:", "    thresholdMs: 12000", "  duplicate: false", "baseline:", "  percentage: 2.5", ""].join("\n"),
    );
    const policy = loadPolicyFile(file);
    expect(policy.rules.slow).toEqual({ thresholdMs: 12000, workflows: {} });
    expect(policy.rules.duplicate).toBe(false);
    expect(policy.baseline.percentage).toBe(2.5);
  });

  it("loads JSON", () => {
    const file = path.join(dir, "policy.json");
    writeFileSync(file, JSON.stringify({ buffer: { decisionWaitMs: 500 } }));
    expect(loadPolicyFile(file).buffer.decisionWaitMs).toBe(500);
  });

  it("an empty file is the default policy", () => {
    expect(parsePolicyText("")).toEqual(defaultPolicy);
  });

  it.each([
    ["a directory", () => dir, "not a regular file"],
    ["a character device (/dev/zero)", () => "/dev/zero", "not a regular file"],
    [
      "a FIFO (opening one for reading would wait for a writer forever)",
      () => {
        const fifo = path.join(dir, "policy.fifo");
        execFileSync("mkfifo", [fifo]);
        return fifo;
      },
      "not a regular file",
    ],
    [
      "a file over the 1 MiB cap",
      () => {
        const big = path.join(dir, "big.yaml");
        writeFileSync(big, `# ${"x".repeat(MAX_POLICY_FILE_BYTES)}\n`);
        return big;
      },
      "bytes is over the 1048576-byte limit",
    ],
    ["a missing file", () => path.join(dir, "missing.yaml"), "ENOENT"],
  ])("refuses %s at once with a PolicyFileError naming the path", (_what, makePath, problem) => {
    const file = makePath();
    expect(() => loadPolicyFile(file)).toThrow(PolicyFileError);
    expect(() => loadPolicyFile(file)).toThrow(`telltale policy: cannot read policy file ${file}: `);
    expect(() => loadPolicyFile(file)).toThrow(problem);
  });

  it("names the key for invalid YAML values", () => {
    expect(() => parsePolicyText("rules:\n  retries:\n    min: x\n")).toThrow(
      'telltale policy: "rules.retries.min" must be an integer from 1 to 1000000, got "x"',
    );
  });
});
