"use strict";
// One process = one wrapper (or its bare-span equivalent). Every op is awaited, as agent code awaits it.
//   workflow: workflow() with budget and deadline  vs  tracer.startActiveSpan() as a root span
//   step, tool: step()/tool() inside one long-lived workflow with budget and deadline  vs  startActiveSpan() inside
//   one long-lived root span
//
// argv[2]: JSON { op: "workflow" | "step" | "tool", impl: "core" | "bare", warmup, samples, opsPerSample, lockstep? }
// (lockstep: see samples.cjs)

const { setupTracing, countingExporter, callRepeatedly } = require("./tracing.cjs");
const { takeSamples } = require("./samples.cjs");

const WORKFLOW_OPTIONS = { budget: { tokens: 1e12, costUsd: 1e9 }, deadlineMs: 600_000 };

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}");
  const { provider, tracer } = setupTracing();
  const core = require("@telltale/core");
  const body = async () => "done";
  const bareSpan = (name) =>
    tracer.startActiveSpan(name, async (span) => {
      try {
        return await body();
      } finally {
        span.end();
      }
    });

  let op;
  if (options.impl === "core") {
    if (options.op === "workflow") op = () => core.workflow("bench", WORKFLOW_OPTIONS, body);
    else if (options.op === "step") op = () => core.step("work", body);
    else if (options.op === "tool") op = () => core.tool("lookup", body);
  } else if (options.impl === "bare") {
    if (options.op === "workflow") op = () => bareSpan("invoke_agent bench");
    else if (options.op === "step") op = () => bareSpan("step work");
    else if (options.op === "tool") op = () => bareSpan("execute_tool lookup");
  }
  if (!op) throw new Error(`unknown op ${options.impl}/${options.op}`);

  const measure = async () => {
    for (let index = 0; index < options.warmup; index++) await op();
    const { values: perOpUs } = await takeSamples(
      options,
      () => callRepeatedly(op, options.opsPerSample),
      options.opsPerSample,
    );
    return perOpUs.map((value) => value * 1000);
  };

  let perOpNs;
  if (options.op === "workflow") perOpNs = await measure();
  else if (options.impl === "core") perOpNs = await core.workflow("outer", WORKFLOW_OPTIONS, measure);
  else {
    perOpNs = await tracer.startActiveSpan("outer", async (span) => {
      try {
        return await measure();
      } finally {
        span.end();
      }
    });
  }
  await provider.forceFlush();
  const result = { op: options.op, impl: options.impl, perOpNs, spansExported: countingExporter.spans };
  await provider.shutdown();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
