import { it } from "vitest";
import { MAJORS, client, instrumentAll, mockLlm, spans } from "./harness.js";
it("dbg", async () => {
  instrumentAll();
  const mock = await mockLlm();
  mock.enqueue({ kind: "stream_cut", afterChunks: 2 });
  const stream = await client(MAJORS[2]!, mock).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }], stream: true });
  let n = 0;
  try { for await (const c of stream) n++; } catch (e) { console.log("ERR", n, e, (e as any).cause); }
  for (const s of spans()) console.log(JSON.stringify(s.attributes), s.status, s.events.map(e => e.name));
});
