import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseFaultScript } from "./script.js";
import { startMockLlm } from "./server.js";

const USAGE = `Usage: telltale-mock-llm [--port 8787] [--host 127.0.0.1] [--seed 1] [--script faults.json]

Serves the OpenAI (/v1/chat/completions, /v1/responses, /v1/embeddings) and Anthropic (/v1/messages) wire formats
on loopback, answering with the fault script (see the @telltale/mock-llm README for its JSON form).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8787" },
      host: { type: "string", default: "127.0.0.1" },
      seed: { type: "string", default: "1" },
      script: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  const seed = Number(values.seed);
  if (!Number.isInteger(port) || port < 0 || !Number.isFinite(seed)) throw new Error(`invalid --port or --seed\n${USAGE}`);
  const script = values.script ? parseFaultScript(JSON.parse(readFileSync(values.script, "utf8"))) : undefined;
  const mock = await startMockLlm({ port, host: values.host, seed, script });
  // One parseable line, so scripts and tests can wait for it and read the port.
  process.stdout.write(`telltale-mock-llm listening on ${mock.url}\n`);
  const stop = (): void => {
    void mock.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`telltale-mock-llm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
