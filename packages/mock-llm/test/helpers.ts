import type { MockLlm } from "@telltale/mock-llm";

export interface ParsedSseEvent {
  event: string | undefined;
  data: string;
}

/** Parses a complete SSE body into events (the mock writes one `data:` line per event). */
export function parseSse(body: string): ParsedSseEvent[] {
  return body
    .split("\n\n")
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice("event: ".length);
        else if (line.startsWith("data: ")) data.push(line.slice("data: ".length));
      }
      return { event, data: data.join("\n") };
    });
}

export function jsonEvents(body: string): Array<Record<string, unknown>> {
  return parseSse(body).map((event) => JSON.parse(event.data) as Record<string, unknown>);
}

export function post(
  mock: MockLlm,
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${mock.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-secret", ...init.headers },
    body: JSON.stringify(body),
    signal: init.signal,
  });
}

/** Reads a streamed body chunk by chunk, returning what arrived and the error that ended it (if any). */
export async function readUntilEnd(response: Response): Promise<{ text: string; error: unknown }> {
  const reader = response.body?.getReader();
  if (!reader) return { text: "", error: undefined };
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: undefined };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

export const tokens = (text: string): number => Math.ceil(text.length / 4);
