import { context, diag, type Span } from "@opentelemetry/api";
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
  type InstrumentationConfig,
} from "@opentelemetry/instrumentation";
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  budgetCheck,
  startLlmCall,
  type LlmCall,
} from "@telltale/core";
import {
  findMethodOwner,
  isStainlessStream,
  observeApiPromise,
  observeStream,
  resolveContentCapture,
  trackAttempts,
  trackStainlessAttempts,
  type AttemptTracking,
  type ContentCapture,
  type ContentCaptureConfig,
  type StreamEnd,
} from "@telltale/instrumentation-common";
import {
  chatInputMessages,
  describeRequest,
  responsesInputMessages,
  responsesInstructions,
  type Endpoint,
} from "./request.js";
import { asBag, str } from "./shapes.js";
import {
  ChatStreamAccumulator,
  ResponsesStreamAccumulator,
  applySummary,
  summarizeChatCompletion,
  summarizeEmbeddings,
  summarizeResponse,
} from "./summary.js";
import { VERSION } from "./version.js";

/** Configuration of {@link OpenAIInstrumentation}. */
export interface OpenAIInstrumentationConfig extends InstrumentationConfig, ContentCaptureConfig {}

/** The `openai` majors this instrumentation supports. */
export const SUPPORTED_VERSIONS = [">=5.0.0 <8"];

const INSTRUMENTATION_NAME = "@telltale/instrumentation-openai";

/** The `openai` module's exports, as far as the instrumentation needs them. */
export interface OpenAIModuleExports {
  OpenAI?: unknown;
  default?: unknown;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;
type PatchTarget = { owner: object; name: string };

const RESOURCE_PATHS: ReadonlyArray<{ endpoint: Endpoint; path: readonly string[] }> = [
  { endpoint: "chat", path: ["Chat", "Completions"] },
  { endpoint: "responses", path: ["Responses"] },
  { endpoint: "embeddings", path: ["Embeddings"] },
];

/** Where each traced resource hangs off a client instance. */
const CLIENT_RESOURCE_PATHS: ReadonlyArray<{ endpoint: Endpoint; path: readonly string[] }> = [
  { endpoint: "chat", path: ["chat", "completions"] },
  { endpoint: "responses", path: ["responses"] },
  { endpoint: "embeddings", path: ["embeddings"] },
];

function walk(root: unknown, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if ((typeof current !== "object" && typeof current !== "function") || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function prototypeOf(cls: unknown): object | undefined {
  if (typeof cls !== "function") return undefined;
  const proto: unknown = (cls as { prototype?: unknown }).prototype;
  return typeof proto === "object" && proto !== null ? proto : undefined;
}

/** `server.address` / `server.port` from the client's base URL. */
function serverOf(resource: unknown): { serverAddress?: string; serverPort?: number } {
  const baseURL = str(asBag(asBag(resource)?._client)?.baseURL);
  if (baseURL === undefined) return {};
  try {
    const url = new URL(baseURL);
    const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
    return { serverAddress: url.hostname, serverPort: port };
  } catch {
    return {};
  }
}

/**
 * OpenTelemetry instrumentation for the `openai` SDK, majors 5, 6 and 7: `chat.completions.create`,
 * `responses.create`, `embeddings.create` (plain and streaming, and the SDK helpers built on them) get a GenAI
 * span each, with every HTTP attempt of the SDK's retry loop, soft errors, usage feeding the budget, and streams
 * that always end their span.
 */
export class OpenAIInstrumentation extends InstrumentationBase<OpenAIInstrumentationConfig> {
  // Declared, not initialized: the base constructor calls init()/enable() before subclass fields would be set.
  declare private manualTargets: Set<string> | undefined;
  declare private manualPatches: PatchTarget[] | undefined;
  declare private capture: ContentCapture | undefined;

  constructor(config: OpenAIInstrumentationConfig = {}) {
    super(INSTRUMENTATION_NAME, VERSION, config);
  }

  override setConfig(config: OpenAIInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.capture = undefined;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        "openai",
        SUPPORTED_VERSIONS,
        (moduleExports: OpenAIModuleExports) => {
          this.patchModule(moduleExports, false);
          return moduleExports;
        },
        (moduleExports: OpenAIModuleExports | undefined) => {
          if (moduleExports !== undefined) this.unpatchModule(moduleExports);
        },
      ),
    ];
  }

  /**
   * Instruments an `openai` module object you imported yourself, for bundled apps where no require/import hook
   * sees `openai` load: `instrumentation.manuallyInstrument(OpenAI)` or `manuallyInstrument(await import("openai"))`.
   * Accepts the module namespace or the `OpenAI` class. Undone by `disable()`.
   */
  manuallyInstrument(moduleExports: OpenAIModuleExports | (new (...args: never[]) => unknown)): void {
    try {
      const exportsObject: OpenAIModuleExports =
        typeof moduleExports === "function" ? { OpenAI: moduleExports } : moduleExports;
      this.patchModule(exportsObject, true);
    } catch (err) {
      diag.error("telltale: instrumenting the openai module failed", err);
    }
  }

  /**
   * Instruments the classes behind one client instance (its class and the classes of its `chat.completions`,
   * `responses` and `embeddings` resources), for bundled apps: every client of those classes is traced from then on.
   * Returns the same client. Undone by `disable()`.
   */
  instrumentClient<Client extends object>(client: Client): Client {
    try {
      const fetchOwner = findMethodOwner(client, "fetchWithTimeout");
      if (fetchOwner !== undefined) this.patchMethod(fetchOwner, "fetchWithTimeout", (original) => trackStainlessAttempts(original), true);
      for (const { endpoint, path } of CLIENT_RESOURCE_PATHS) {
        const owner = findMethodOwner(walk(client, path), "create");
        if (owner !== undefined) this.patchMethod(owner, "create", (original) => this.wrapCreate(endpoint, original), true);
      }
    } catch (err) {
      diag.error("telltale: instrumenting an openai client failed", err);
    }
    return client;
  }

  override disable(): void {
    super.disable();
    for (const { owner, name } of this.manualPatches ?? []) {
      if (isWrapped((owner as Record<string, unknown>)[name])) this._unwrap(owner as Record<string, unknown>, name);
    }
    this.manualPatches = [];
    this.manualTargets = new Set();
  }

  private contentCapture(): ContentCapture {
    this.capture ??= resolveContentCapture(this.getConfig());
    return this.capture;
  }

  private patchModule(moduleExports: OpenAIModuleExports, manual: boolean): void {
    const OpenAI = moduleExports.OpenAI ?? moduleExports.default;
    const clientProto = prototypeOf(OpenAI);
    if (clientProto === undefined) {
      diag.warn("telltale: the openai module has no OpenAI class; not instrumented");
      return;
    }
    const fetchOwner = findMethodOwner(clientProto, "fetchWithTimeout");
    if (fetchOwner !== undefined) this.patchMethod(fetchOwner, "fetchWithTimeout", (original) => trackStainlessAttempts(original), manual);
    else diag.warn("telltale: openai client has no fetchWithTimeout; attempts are not recorded");
    for (const { endpoint, path } of RESOURCE_PATHS) {
      const proto = prototypeOf(walk(OpenAI, path));
      const owner = proto === undefined ? undefined : findMethodOwner(proto, "create");
      if (owner === undefined) {
        diag.warn(`telltale: openai ${path.join(".")}.create not found; not instrumented`);
        continue;
      }
      this.patchMethod(owner, "create", (original) => this.wrapCreate(endpoint, original), manual);
    }
  }

  private unpatchModule(moduleExports: OpenAIModuleExports): void {
    const OpenAI = moduleExports.OpenAI ?? moduleExports.default;
    const clientProto = prototypeOf(OpenAI);
    if (clientProto === undefined) return;
    const targets: PatchTarget[] = [];
    const fetchOwner = findMethodOwner(clientProto, "fetchWithTimeout");
    if (fetchOwner !== undefined) targets.push({ owner: fetchOwner, name: "fetchWithTimeout" });
    for (const { path } of RESOURCE_PATHS) {
      const proto = prototypeOf(walk(OpenAI, path));
      const owner = proto === undefined ? undefined : findMethodOwner(proto, "create");
      if (owner !== undefined) targets.push({ owner, name: "create" });
    }
    for (const { owner, name } of targets) {
      if (isWrapped((owner as Record<string, unknown>)[name])) this._unwrap(owner as Record<string, unknown>, name);
    }
  }

  private patchMethod(owner: object, name: string, wrapper: (original: Method) => Method, manual: boolean): void {
    const target = owner as Record<string, Method>;
    // Patched already (by the hook, manually, or through another client of the same class).
    if (isWrapped(target[name])) return;
    this._wrap(target, name, wrapper);
    if (manual) {
      this.manualPatches ??= [];
      this.manualPatches.push({ owner, name });
    }
  }

  /** The replacement for a resource's `create`: one span per call, around the SDK's own call. */
  private wrapCreate(endpoint: Endpoint, original: Method): Method {
    const instrumentation = this;
    return function create(this: unknown, ...args: unknown[]): unknown {
      let traced: TracedCall | undefined;
      try {
        traced = instrumentation.startCall(endpoint, this, args[0]);
      } catch (err) {
        diag.error("telltale: starting an openai span failed", err);
      }
      if (traced === undefined) return original.apply(this, args);

      const refusal = budgetCheck(traced.call.context);
      if (refusal !== undefined) {
        traced.end(refusal);
        return Promise.reject(refusal);
      }

      let result: unknown;
      try {
        result = context.with(traced.attempts.context, () => original.apply(this, args));
      } catch (err) {
        traced.end(err);
        throw err;
      }
      try {
        traced.observe(result);
      } catch (err) {
        diag.error("telltale: observing an openai call failed", err);
      }
      return result;
    };
  }

  private startCall(endpoint: Endpoint, resource: unknown, body: unknown): TracedCall {
    const request = describeRequest(endpoint, body);
    const call = startLlmCall(this.tracer, {
      provider: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
      operation: request.operation,
      ...(request.requestModel !== undefined ? { requestModel: request.requestModel } : {}),
      ...serverOf(resource),
      stream: request.stream,
      attributes: request.attributes,
    });
    const capture = this.contentCapture();
    if (capture.enabled) recordInput(call.span, endpoint, body, capture);
    return new TracedCall(endpoint, call, trackAttempts(call.context, call), request.stream, capture);
  }
}

function recordInput(span: Span, endpoint: Endpoint, body: unknown, capture: ContentCapture): void {
  if (endpoint === "chat") {
    span.setAttribute(ATTR_GEN_AI_INPUT_MESSAGES, capture.serialize(chatInputMessages(body)));
  } else if (endpoint === "responses") {
    span.setAttribute(ATTR_GEN_AI_INPUT_MESSAGES, capture.serialize(responsesInputMessages(body)));
    const instructions = responsesInstructions(body);
    if (instructions !== undefined) {
      span.setAttribute(
        ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
        JSON.stringify(instructions.map((part) => (part.type === "text" ? { ...part, content: capture.text(part.content) } : part))),
      );
    }
  }
}

/** One traced SDK call: its span, its attempts, and how its result is observed until the span ends. */
class TracedCall {
  private ended = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly endpoint: Endpoint,
    readonly call: LlmCall,
    readonly attempts: AttemptTracking,
    private readonly stream: boolean,
    private readonly capture: ContentCapture,
  ) {}

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.attempts.settle(error);
    this.call.end(error);
  }

  observe(result: unknown): void {
    const hooked = observeApiPromise(
      result,
      {
        onParsed: (value) => this.onParsed(value),
        onError: (error) => this.end(error),
        onRawResponse: (response) => {
          // The body belongs to the user (`.asResponse()`): the call is over once the headers are in.
          const status = asBag(response)?.status;
          if (typeof status === "number") this.call.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
          this.end();
        },
      },
      this.attempts.context,
    );
    if (!hooked) {
      // Not an APIPromise (a future SDK shape): still end the span when it settles, without changing the result.
      Promise.resolve(result).then(
        (value) => this.onParsed(value),
        (error: unknown) => this.end(error),
      );
    }
  }

  private onParsed(value: unknown): void {
    if (this.ended) return;
    if (this.stream && isStainlessStream(value)) {
      this.attempts.settle();
      this.observeStream(value);
      return;
    }
    const bag = asBag(value);
    if (bag !== undefined) {
      const summary =
        this.endpoint === "chat"
          ? summarizeChatCompletion(bag, this.capture)
          : this.endpoint === "responses"
            ? summarizeResponse(bag, this.capture)
            : summarizeEmbeddings(bag);
      applySummary(this.call, summary, this.capture);
    }
    this.end();
  }

  private observeStream(stream: Parameters<typeof observeStream>[0]): void {
    const chat = this.endpoint === "chat" ? new ChatStreamAccumulator(this.capture.enabled) : undefined;
    const responses = this.endpoint === "responses" ? new ResponsesStreamAccumulator(this.capture.enabled) : undefined;
    let firstChunk = true;
    observeStream(stream, {
      onChunk: (chunk) => {
        if (firstChunk) {
          firstChunk = false;
          this.call.span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - this.startedAt) / 1000);
        }
        chat?.add(chunk);
        responses?.add(chunk);
      },
      onEnd: (end) => this.onStreamEnd(end, chat, responses),
    });
  }

  private onStreamEnd(end: StreamEnd, chat: ChatStreamAccumulator | undefined, responses: ResponsesStreamAccumulator | undefined): void {
    if (this.ended) return;
    // The stream's own ending comes first: it is why whatever follows is partial.
    if (end.kind === "aborted") this.call.softError("stream_aborted", "aborted");
    else if (end.kind === "stopped") this.call.softError("stream_aborted", "consumer stopped early");
    else if (end.kind === "abandoned") this.call.softError("stream_aborted", "abandoned");
    const complete = end.kind === "completed";
    if (chat !== undefined) {
      const summary = summarizeChatCompletion(chat.completion(), this.capture);
      // An interrupted stream is not an empty answer: only a finished one can be judged empty.
      if (!complete && summary.softError?.kind === "empty_output") delete summary.softError;
      applySummary(this.call, summary, this.capture);
    } else if (responses !== undefined) {
      applySummary(this.call, summarizeResponse(responses.response(), this.capture), this.capture);
    }
    this.end(end.kind === "error" ? end.error : undefined);
  }
}
