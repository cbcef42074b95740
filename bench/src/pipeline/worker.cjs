"use strict";
// One process = one line of the pipeline benchmark (telemetry.cjs) running the agent load (agent.cjs), awaited
// workflow after workflow, exporting to the OTLP receiver the parent started (receiver.cjs) in another process.
//
// argv[2]: JSON { line, warmup, samples, workflowsPerSample, healthyChecked, lockstep? } (lockstep: ../samples.cjs)
// stdout (last line): JSON { line, cpuUsPerWorkflow: number[] (CPU µs per workflow, per sample), workflows,
//   heapHighWaterMb, failures: [fault, traceId, spans][], healthy: [traceId, spans][], sampler? }

const v8 = require("node:v8");
const { startLine } = require("./telemetry.cjs");
const { faultOf, expectedSpans, runWorkflow } = require("./agent.cjs");
const { agentFetch } = require("./agent-fetch.cjs");
const { takeSamples } = require("../samples.cjs");

/** How often (in workflows) the heap is looked at for its high-water mark. */
const HEAP_EVERY = 8;
const turnEventLoop = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}");
  // The telemetry first, then the SDK: every instrumentation patches `openai` when it is loaded.
  const telemetry = startLine(options.line);
  const loaded = require("openai-v6");
  const OpenAI = loaded.OpenAI ?? loaded.default ?? loaded;
  const client = new OpenAI({ apiKey: "sk-bench", baseURL: "https://api.openai.com/v1", fetch: agentFetch, maxRetries: 2 });
  const agent = { structure: telemetry.structure, client };

  const failures = [];
  const healthy = [];
  let index = 0;
  let heapHighWater = 0;
  let trackHeap = false;
  const runOne = async () => {
    const workflow = index++;
    const fault = faultOf(workflow);
    let traceId;
    try {
      await runWorkflow(agent, workflow, (id) => (traceId = id));
    } catch (error) {
      if (fault !== "context_length") throw error;
    }
    if (traceId !== undefined) {
      if (fault !== undefined) failures.push([fault, traceId, expectedSpans(fault)]);
      else if (healthy.length < options.healthyChecked) healthy.push([traceId, expectedSpans(undefined)]);
    }
    if (trackHeap && workflow % HEAP_EVERY === 0) heapHighWater = Math.max(heapHighWater, v8.getHeapStatistics().used_heap_size);
    // A server's event loop turns between requests: the exporters' sockets and timers get their turn.
    await turnEventLoop();
  };

  for (let warm = 0; warm < options.warmup; warm++) await runOne();
  trackHeap = true;
  const { values: cpuUsPerWorkflow } = await takeSamples(
    options,
    async () => {
      for (let workflow = 0; workflow < options.workflowsPerSample; workflow++) await runOne();
    },
    options.workflowsPerSample,
  );
  // Everything still buffered or queued is decided and exported before the receiver is asked what arrived.
  await telemetry.shutdown();
  const result = {
    line: options.line,
    cpuUsPerWorkflow,
    workflows: index,
    heapHighWaterMb: heapHighWater / 1048576,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    failures,
    healthy,
    sampler: telemetry.stats(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
