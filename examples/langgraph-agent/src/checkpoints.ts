/**
 * A LangGraph checkpointer kept in a JSON file, so that a graph interrupted in one process can be resumed in
 * another (a real app uses a database checkpointer; this one keeps the example free of servers).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { MemorySaver } from "@langchain/langgraph";

const BYTES = "$bytes";

function encode(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { [BYTES]: Buffer.from(value).toString("base64") } : value;
}

function decode(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && typeof (value as Record<string, unknown>)[BYTES] === "string") {
    return new Uint8Array(Buffer.from((value as Record<string, string>)[BYTES]!, "base64"));
  }
  return value;
}

export class FileCheckpointer extends MemorySaver {
  constructor(private readonly file: string) {
    super();
    if (!existsSync(file)) return;
    const saved = JSON.parse(readFileSync(file, "utf8"), decode) as { storage: MemorySaver["storage"]; writes: MemorySaver["writes"] };
    this.storage = saved.storage;
    this.writes = saved.writes;
  }

  save(): void {
    writeFileSync(this.file, JSON.stringify({ storage: this.storage, writes: this.writes }, encode));
  }
}
