import type { ErrorPreset, ErrorStep, Provider } from "./types.js";

/** An HTTP error ready to send: status, body exactly as the provider shapes it, and headers. */
export interface ErrorResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface PresetFacts {
  status: number;
  /** OpenAI `error.type`. */
  openaiType: string;
  /** OpenAI `error.code` (null where the API sends null). */
  openaiCode: string | null;
  openaiParam: string | null;
  openaiMessage: (model: string) => string;
  anthropicStatus: number;
  /** Anthropic `error.type`. */
  anthropicType: string;
  anthropicMessage: string;
}

// Messages and codes as the APIs send them (OpenAI "Error codes" guide, Anthropic "Errors" page).
const PRESETS: Record<ErrorPreset, PresetFacts> = {
  rate_limit: {
    status: 429,
    openaiType: "requests",
    openaiCode: "rate_limit_exceeded",
    openaiParam: null,
    openaiMessage: (model) =>
      `Rate limit reached for ${model} in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. ` +
      "Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
    anthropicStatus: 429,
    anthropicType: "rate_limit_error",
    anthropicMessage:
      "Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); " +
      "see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, " +
      "or try again later.",
  },
  insufficient_quota: {
    status: 429,
    openaiType: "insufficient_quota",
    openaiCode: "insufficient_quota",
    openaiParam: null,
    openaiMessage: () =>
      "You exceeded your current quota, please check your plan and billing details. For more information on this " +
      "error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    anthropicStatus: 400,
    anthropicType: "invalid_request_error",
    anthropicMessage:
      "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
  },
  context_length_exceeded: {
    status: 400,
    openaiType: "invalid_request_error",
    openaiCode: "context_length_exceeded",
    openaiParam: "messages",
    openaiMessage: () =>
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. " +
      "Please reduce the length of the messages.",
    anthropicStatus: 400,
    anthropicType: "invalid_request_error",
    anthropicMessage: "prompt is too long: 210000 tokens > 200000 maximum",
  },
  invalid_request: {
    status: 400,
    openaiType: "invalid_request_error",
    openaiCode: null,
    openaiParam: null,
    openaiMessage: () => "Invalid request.",
    anthropicStatus: 400,
    anthropicType: "invalid_request_error",
    anthropicMessage: "Invalid request.",
  },
  authentication: {
    status: 401,
    openaiType: "invalid_request_error",
    openaiCode: "invalid_api_key",
    openaiParam: null,
    openaiMessage: () =>
      "Incorrect API key provided: sk-mock***. You can find your API key at https://platform.openai.com/account/api-keys.",
    anthropicStatus: 401,
    anthropicType: "authentication_error",
    anthropicMessage: "invalid x-api-key",
  },
  permission: {
    status: 403,
    openaiType: "invalid_request_error",
    openaiCode: "unsupported_country_region_territory",
    openaiParam: null,
    openaiMessage: () => "Country, region, or territory not supported",
    anthropicStatus: 403,
    anthropicType: "permission_error",
    anthropicMessage: "Your API key does not have permission to use the specified resource.",
  },
  not_found: {
    status: 404,
    openaiType: "invalid_request_error",
    openaiCode: "model_not_found",
    openaiParam: null,
    openaiMessage: (model) => `The model \`${model}\` does not exist or you do not have access to it.`,
    anthropicStatus: 404,
    anthropicType: "not_found_error",
    anthropicMessage: "model: not found",
  },
  server_error: {
    status: 500,
    openaiType: "server_error",
    openaiCode: null,
    openaiParam: null,
    openaiMessage: () => "The server had an error while processing your request. Sorry about that!",
    anthropicStatus: 500,
    anthropicType: "api_error",
    anthropicMessage: "Internal server error",
  },
  overloaded: {
    status: 503,
    openaiType: "server_error",
    openaiCode: null,
    openaiParam: null,
    openaiMessage: () => "The engine is currently overloaded, please try again later.",
    anthropicStatus: 529,
    anthropicType: "overloaded_error",
    anthropicMessage: "Overloaded",
  },
};

export const ERROR_PRESETS = Object.keys(PRESETS) as ErrorPreset[];

/** The preset a bare status stands for, so `{ kind: "error", status: 503 }` gets a realistic body. */
export function presetForStatus(status: number): ErrorPreset {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "authentication";
    case 403:
      return "permission";
    case 404:
      return "not_found";
    case 429:
      return "rate_limit";
    case 503:
    case 529:
      return "overloaded";
    default:
      return status >= 500 ? "server_error" : "invalid_request";
  }
}

/** OpenAI's error object: `{ message, type, param, code }`. */
export function openaiErrorObject(preset: ErrorPreset, model: string, message?: string): Record<string, unknown> {
  const facts = PRESETS[preset];
  return {
    message: message ?? facts.openaiMessage(model),
    type: facts.openaiType,
    param: facts.openaiParam,
    code: facts.openaiCode,
  };
}

/** Anthropic's error object: `{ type, message }`. */
export function anthropicErrorObject(preset: ErrorPreset, message?: string): Record<string, unknown> {
  const facts = PRESETS[preset];
  return { type: facts.anthropicType, message: message ?? facts.anthropicMessage };
}

export function errorResponse(
  provider: Provider,
  step: ErrorStep,
  model: string,
  requestId: string,
  nowSeconds: number,
): ErrorResponse {
  const preset = step.error ?? presetForStatus(step.status ?? 500);
  const facts = PRESETS[preset];
  const status = step.status ?? (provider === "anthropic" ? facts.anthropicStatus : facts.status);
  const headers: Record<string, string> = {};
  if (provider === "anthropic") {
    headers["request-id"] = requestId;
    if (status === 429) {
      headers["anthropic-ratelimit-requests-limit"] = "50";
      headers["anthropic-ratelimit-requests-remaining"] = "0";
      headers["anthropic-ratelimit-requests-reset"] = new Date((nowSeconds + 20) * 1000).toISOString();
    }
  } else {
    headers["x-request-id"] = requestId;
    if (status === 429 && preset === "rate_limit") {
      headers["x-ratelimit-limit-requests"] = "3";
      headers["x-ratelimit-remaining-requests"] = "0";
      headers["x-ratelimit-reset-requests"] = "20s";
    }
  }
  if (step.retryAfterSeconds !== undefined) headers["retry-after"] = String(step.retryAfterSeconds);
  if (step.retryAfterMs !== undefined) headers["retry-after-ms"] = String(step.retryAfterMs);
  if (step.shouldRetry !== undefined) headers["x-should-retry"] = String(step.shouldRetry);
  Object.assign(headers, lowerCaseKeys(step.headers));

  const body =
    step.body !== undefined
      ? step.body
      : provider === "anthropic"
        ? { type: "error", error: anthropicErrorObject(preset, step.message), request_id: requestId }
        : { error: openaiErrorObject(preset, model, step.message) };
  return { status, body, headers };
}

export function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) result[key.toLowerCase()] = value;
  return result;
}
