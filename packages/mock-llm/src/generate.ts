// Deterministic generation: text, ids, token counts and embeddings all derive from the seed and the request,
// never from arrival order, so concurrent runs get the same answers as sequential ones.

/** FNV-1a, 32 bit: a stable hash to mix the seed with request content. */
export function hashString(value: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: small, fast and good enough for mock content. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "agent", "trace", "span", "signal", "model", "token", "budget", "retry", "stream", "tool", "result", "answer",
  "context", "deadline", "workflow", "step", "queue", "latency", "sample", "keep", "failure", "success", "plan",
  "check", "value", "summary", "request", "reply", "careful", "quick", "steady", "clear", "bright", "small",
];

/** 8 to 15 words, capitalised, ending with a period. */
export function generateText(random: () => number): string {
  const count = 8 + Math.floor(random() * 8);
  const words: string[] = [];
  for (let index = 0; index < count; index++) words.push(WORDS[Math.floor(random() * WORDS.length)] ?? "mock");
  const sentence = words.join(" ");
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function generateId(prefix: string, random: () => number, length = 24): string {
  let id = prefix;
  for (let index = 0; index < length; index++) id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)] ?? "x";
  return id;
}

/** The documented token formula: ceil(characters / 4). */
export function tokensForChars(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * All prompt text, as the usage formula counts it: strings, the `text` of content parts, and the `content` of
 * messages (recursively, so tool results with nested parts count too). Keys other than `text`/`content` are ignored.
 */
export function collectPromptText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(collectPromptText).join("");
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record.text === "string") return record.text;
    if ("content" in record) return collectPromptText(record.content);
    if (typeof record.refusal === "string") return record.refusal;
  }
  return "";
}

/** Splits text into stream deltas: one word (with its leading space) per chunk. */
export function splitIntoDeltas(text: string): string[] {
  if (text.length === 0) return [];
  return text.match(/\s*\S+/g) ?? [text];
}

/** A value for a JSON schema, so generated tool arguments validate against simple schemas. */
export function sampleFromSchema(schema: unknown): unknown {
  if (schema === null || typeof schema !== "object") return "mock";
  const record = schema as Record<string, unknown>;
  if (Array.isArray(record.enum) && record.enum.length > 0) return record.enum[0];
  const type = Array.isArray(record.type) ? record.type[0] : record.type;
  switch (type) {
    case "object": {
      const properties = (record.properties ?? {}) as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const [key, propertySchema] of Object.entries(properties)) result[key] = sampleFromSchema(propertySchema);
      return result;
    }
    case "array":
      return [sampleFromSchema(record.items)];
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return "mock";
  }
}

/** A deterministic unit-length vector for an embedding input. */
export function embeddingVector(input: string, dimensions: number, seed: number): number[] {
  const random = createRandom(hashString(input, seed));
  const values: number[] = [];
  let sumOfSquares = 0;
  for (let index = 0; index < dimensions; index++) {
    const value = random() * 2 - 1;
    values.push(value);
    sumOfSquares += value * value;
  }
  const norm = Math.sqrt(sumOfSquares) || 1;
  // Rounded through float32 so the JSON and base64 encodings decode to the same numbers.
  return values.map((value) => Math.fround(value / norm));
}

export function float32Base64(values: number[]): string {
  const array = new Float32Array(values);
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString("base64");
}
