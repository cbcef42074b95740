/** What the server reads off an incoming request before it picks a step: route, provider, body, scenario. */
import type { IncomingMessage } from "node:http";
import type { RequestInfo } from "./answer.js";
import type { Provider, RouteName } from "./types.js";

/** Credentials never reach `RecordedRequest.headers`. */
const REDACTED_HEADERS = new Set(["authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"]);
const SCENARIO_HEADER = "x-mock-scenario";
const SCENARIO_MARKER = /\[scenario:([A-Za-z0-9_.:#-]+)\]/;

export function routeFor(method: string | undefined, pathname: string): RouteName | undefined {
  if (method !== "POST") return undefined;
  // Accept the path with or without the /v1 prefix, so either base URL style works.
  const path = pathname.replace(/\/+$/, "").replace(/^\/v1(?=\/)/, "");
  switch (path) {
    case "/chat/completions":
      return "chat.completions";
    case "/responses":
      return "responses";
    case "/embeddings":
      return "embeddings";
    case "/messages":
      return "messages";
    default:
      return undefined;
  }
}

/** Which wire format answers: the route's, or for an unknown path a guess from it (for the 404's shape). */
export function providerFor(route: RouteName | undefined, pathname: string): Provider {
  if (route === "messages" || (route === undefined && pathname.includes("/messages"))) return "anthropic";
  return "openai";
}

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** The parsed JSON object body, or undefined when the body is empty, not JSON, or not an object. */
export function parseObjectBody(raw: string): Record<string, unknown> | undefined {
  let body: unknown;
  try {
    body = raw.length > 0 ? JSON.parse(raw) : undefined;
  } catch {
    return undefined;
  }
  return body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/** The request's headers, lower-cased, without credentials. */
export function recordHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || REDACTED_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** The scenario key: the `x-mock-scenario` header, else a `[scenario:NAME]` marker in the model or the prompt. */
export function scenarioOf(request: IncomingMessage, info: RequestInfo): string | undefined {
  const header = request.headers[SCENARIO_HEADER];
  if (typeof header === "string" && header.length > 0) return header;
  return (SCENARIO_MARKER.exec(info.model) ?? SCENARIO_MARKER.exec(info.promptText))?.[1];
}

/** The Stainless SDKs' `x-stainless-retry-count` header. */
export function sdkRetryCountOf(request: IncomingMessage): number | undefined {
  const header = request.headers["x-stainless-retry-count"];
  return typeof header === "string" && header !== "" ? Number(header) : undefined;
}
