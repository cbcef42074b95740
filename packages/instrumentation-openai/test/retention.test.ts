// What a settled call leaves behind. Apps keep the APIPromise `create` returned (and openai 7 keeps every APIPromise,
// with what it reaches, through young-generation collections), so once a call has settled nothing the SDK still
// holds may lead back to the call's span, attempts or context. Checked with a real full collection while the
// promises stay referenced: a leftover path from the SDK's objects to a span keeps it alive and fails the test.
//
// The mock LLM's answers are recorded first and replayed through the client's `fetch`: a socket or an HTTP timer
// opened during a call keeps the context it was opened in (Node's async context), which is the connection's
// business, not the SDK objects' this test is about.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { MockLlm } from "@telltale/mock-llm";
import { beforeAll, describe, expect, it } from "vitest";
import { API_KEY, MAJORS, allSpansExporter, exporter, instrumentAll, mockLlm, spans } from "./harness.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const chatBody = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "hi" }] };

interface Recorded {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

let mock: MockLlm;
const answers: Recorded[] = [];

/** Three successful chat completions and one invalid-request error, as the mock LLM sends them. */
async function recordAnswers(): Promise<void> {
  mock.enqueue({ kind: "ok" }, { kind: "ok" }, { kind: "error", error: "invalid_request" }, { kind: "ok" });
  for (let index = 0; index < 4; index++) {
    const response = await fetch(`${mock.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify(chatBody),
    });
    answers.push({ status: response.status, headers: [...response.headers], body: await response.text() });
  }
}

beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
  await recordAnswers();
});

describe.each(MAJORS)("$label", (major) => {
  it("settled calls whose APIPromises are still held no longer keep their spans alive", async () => {
    const queue = [...answers];
    const replay = async (): Promise<Response> => {
      const answer = queue.shift();
      if (answer === undefined) throw new Error("no recorded answer left");
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    };
    const c = new major.module.OpenAI({ apiKey: API_KEY, baseURL: `${mock.url}/v1`, fetch: replay, maxRetries: 0 });
    exporter.reset();
    allSpansExporter.reset();

    const awaited = c.chat.completions.create(chatBody);
    await awaited;
    const raw = c.chat.completions.create(chatBody);
    await (await raw.asResponse()).text();
    const failed = c.chat.completions.create(chatBody);
    await expect(failed).rejects.toThrow();
    const withResponse = c.chat.completions.create(chatBody);
    await withResponse.withResponse();

    const ended = spans().map((span) => new WeakRef(span));
    expect(ended).toHaveLength(4);
    exporter.reset();
    allSpansExporter.reset();
    // Lets the exports and the SDK's cleared timers finish; a WeakRef also keeps its target until the job ends.
    await new Promise((resolve) => setTimeout(resolve, 20));
    collectGarbage();
    collectGarbage();
    expect(ended.map((ref) => ref.deref() === undefined)).toEqual([true, true, true, true]);
    // The promises are still referenced here, after the collection.
    expect([awaited, raw, failed, withResponse].every((promise) => promise instanceof major.module.APIPromise)).toBe(true);
  });
});
