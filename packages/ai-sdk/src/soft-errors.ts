import type { SoftErrorKind } from "@telltale/core/attributes";
import type { FinishReason, ModelResponse } from "./shapes.js";

/** The soft error (F4) a finished model response amounts to, with its detail. */
export function responseSoftError(response: ModelResponse, stream: boolean): { kind: SoftErrorKind; detail: string } | undefined {
  const reason: FinishReason | undefined = response.finishReason;
  const detail = reason?.raw ?? reason?.unified ?? "none";
  switch (reason?.unified) {
    case "length":
      return { kind: "truncated", detail };
    case "content-filter":
      return { kind: "content_filter", detail };
    case "error":
      return { kind: "error_payload", detail };
    case "other":
      return { kind: "incomplete", detail };
    case "tool-calls":
      return undefined;
    case "stop":
      return !response.hasText && response.toolCalls.length === 0 ? { kind: "empty_output", detail } : undefined;
    // `interrupted` (ai 7), `unknown` (ai 5) or no finish reason at all: the provider never said it was done.
    default:
      return stream ? { kind: "stream_incomplete", detail: reason === undefined ? "no finish part" : detail } : { kind: "incomplete", detail };
  }
}
