// A cheap, stable fingerprint of arbitrary arguments (F7): FNV-1a over a canonical rendering with sorted object
// keys, bounded in depth and length so that fingerprinting never costs more than a small, fixed amount of work.
// Only the 8-hex-digit hash is ever recorded, never the arguments.

const MAX_DEPTH = 8;
const MAX_CHARS = 65_536;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

class Hasher {
  hash = FNV_OFFSET;
  remaining = MAX_CHARS;
  private readonly seen = new Set<object>();

  feed(text: string): void {
    const length = Math.min(text.length, this.remaining);
    this.remaining -= length;
    let hash = this.hash;
    for (let i = 0; i < length; i += 1) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, FNV_PRIME);
    }
    this.hash = hash;
  }

  value(input: unknown, depth: number): void {
    if (this.remaining <= 0) return;
    switch (typeof input) {
      case "string":
        this.feed(`s${input.length}:`);
        this.feed(input);
        return;
      case "number":
      case "boolean":
      case "bigint":
        this.feed(`${(typeof input)[0]}${String(input)};`);
        return;
      case "undefined":
        this.feed("u;");
        return;
      case "function":
      case "symbol":
        this.feed(`${typeof input};`);
        return;
    }
    if (input === null || input === undefined) return this.feed("n;");
    if (depth >= MAX_DEPTH || this.seen.has(input)) return this.feed("~;");
    this.seen.add(input);
    if (Array.isArray(input)) {
      this.feed("[");
      for (const item of input) this.value(item, depth + 1);
      this.feed("]");
    } else if (input instanceof Date) {
      this.feed(`d${input.getTime()};`);
    } else if (input instanceof Map) {
      this.feed("M{");
      for (const [key, item] of input) {
        this.value(key, depth + 1);
        this.value(item, depth + 1);
      }
      this.feed("}");
    } else if (ArrayBuffer.isView(input)) {
      this.feed(`b${input.byteLength};`);
      const bytes = new Uint8Array(input.buffer, input.byteOffset, Math.min(input.byteLength, this.remaining));
      this.feed(String.fromCharCode(...bytes.subarray(0, 4096)));
    } else {
      this.feed("{");
      for (const key of Object.keys(input).sort()) {
        this.feed(`${key}=`);
        this.value((input as Record<string, unknown>)[key], depth + 1);
      }
      this.feed("}");
    }
    this.seen.delete(input);
  }
}

/** An 8-hex-digit fingerprint of `args`: equal for structurally equal arguments (object key order ignored). */
export function fingerprint(args: unknown): string {
  const hasher = new Hasher();
  hasher.value(args, 0);
  return (hasher.hash >>> 0).toString(16).padStart(8, "0");
}
