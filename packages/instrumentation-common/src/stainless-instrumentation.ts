/**
 * The patching and call-tracing machinery of an instrumentation for a Stainless-generated SDK (`openai`,
 * `@anthropic-ai/sdk`). Both SDKs have the same shape: one client class whose prototype runs every HTTP attempt
 * through `fetchWithTimeout`, and resource classes hanging off it whose `create` returns an `APIPromise` (a parsed
 * response, or a `Stream` when `stream: true`). What differs per provider, how a request, a response and a stream
 * are read, is left to the subclass.
 */
import { context, type Attributes, type DiagLogger, type Span } from "@opentelemetry/api";
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
  type InstrumentationConfig,
} from "@opentelemetry/instrumentation";
import {
  budgetCheck,
  createLlmMetrics,
  startLlmCall,
  type LlmCall,
  type LlmCallOptions,
  type LlmMetrics,
  type LlmResponseInfo,
  type LlmUsage,
} from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES,
  type SoftErrorKind,
} from "@telltale/core/attributes";
import {
  observeApiPromise,
  observesResponses,
  releaseApiPromisePatches,
  retainApiPromisePatches,
  type ApiPromiseObserver,
} from "./api-promise.js";
import {
  endAttemptOnStatus,
  markCallOptions,
  trackAttempts,
  trackRetries,
  trackStainlessAttempts,
  type AttemptTracking,
} from "./attempts.js";
import { resolveContentCapture, type ContentCapture, type ContentCaptureConfig, type GenAiMessage, type GenAiMessagePart } from "./content.js";
import { findMethodOwner } from "./prototype.js";
import { fieldsOf, serverOfBaseUrl, type Fields } from "./readers.js";
import { GEN_AI_LATEST_EXPERIMENTAL, SEMCONV_STABILITY_OPT_IN_ENV, genAiConventionsFrom, type GenAiConventions } from "./semconv-stability.js";
import { isStainlessStream, observeStream, type StainlessStream, type StreamEnd } from "./stream.js";

/** Configuration every Stainless SDK instrumentation takes. */
export interface StainlessInstrumentationConfig extends InstrumentationConfig, ContentCaptureConfig {
  /**
   * The semantic-convention opt-in list, in `OTEL_SEMCONV_STABILITY_OPT_IN`'s format, for where environment variables
   * do not reach: `gen_ai_latest_experimental` writes the latest experimental GenAI conventions. Default: the
   * environment variable; without it, the GenAI conventions of semantic conventions v1.41.1.
   */
  semconvStabilityOptIn?: string;
}

/** One traced `create` method, and where its resource hangs off the SDK. */
export interface StainlessResource<Key> {
  /** What the subclass's hooks receive to tell resources apart (e.g. openai's endpoint). */
  readonly key: Key;
  /** Path from the client class to the resource class (`["Chat", "Completions"]`). */
  readonly classPath: readonly string[];
  /** Path from a client instance to the resource instance (`["chat", "completions"]`). */
  readonly clientPath: readonly string[];
}

/** What a {@link StainlessInstrumentation} instruments. */
export interface StainlessSdk<Key> {
  /** The package name the require/import hooks match. */
  readonly moduleName: string;
  readonly supportedVersions: string[];
  /** The named export of the client class (`OpenAI`); the default export is the fallback. */
  readonly clientExport: string;
  /** How diagnostics name the SDK ("openai", "Anthropic"). */
  readonly label: string;
  /** `gen_ai.provider.name`. */
  readonly provider: string;
  readonly resources: ReadonlyArray<StainlessResource<Key>>;
  /**
   * A client method whose presence means the SDK can start new HTTP attempts while it reads a response body
   * (openai 7's `parseResponseWithTimeout` retries on a body timeout), outside the call's context. Only then are
   * the client's `buildRequest` and `retryRequest` patched, so that such a retry finds its call again.
   */
  readonly parseRetryMethod?: string;
}

/** The span-start description of one request, from the subclass's {@link StainlessInstrumentation.describeRequest}. */
export interface StainlessRequest {
  operation: string;
  requestModel?: string;
  stream: boolean;
  attributes: Attributes;
}

/** Follows one stream's chunks and, when it ends however it ends, writes what arrived on the call. */
export interface StreamAccumulation {
  add(chunk: unknown): void;
  /**
   * What the stream still lacked to be complete (its terminal event, e.g. `"no message_stop"`), or undefined once it
   * arrived. A stream the SDK read to its end without it was cut short (`stream_incomplete`).
   */
  missingEnd(): string | undefined;
  /** Runs once, after the stream's soft errors and before the span ends. */
  finish(end: StreamEnd): void;
}

/** What a provider's response says, in the terms the call span records. */
export interface ResponseSummary extends LlmResponseInfo {
  finishReasons: string[];
  usage?: LlmUsage;
  toolCalls: ReadonlyArray<{ id?: string; name: string }>;
  /** Only filled when content capture is on. */
  outputMessages: GenAiMessage[];
  softError?: { kind: SoftErrorKind; detail?: string };
  /** Provider-specific response attributes (`openai.response.service_tier` …). */
  attributes?: Attributes;
}

/** Writes a summary on the call; the caller ends the call. */
export function recordResponseSummary(call: LlmCall, summary: ResponseSummary, capture: ContentCapture): void {
  // Only the response fields: core checks what recordResponse is given, and reports a field it does not know.
  const response: LlmResponseInfo = { finishReasons: summary.finishReasons };
  if (summary.responseModel !== undefined) response.responseModel = summary.responseModel;
  if (summary.responseId !== undefined) response.responseId = summary.responseId;
  call.recordResponse(response);
  if (summary.attributes !== undefined) call.span.setAttributes(summary.attributes);
  if (summary.usage !== undefined) call.recordUsage(summary.usage);
  if (summary.toolCalls.length > 0) {
    call.span.setAttribute(ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES, summary.toolCalls.map((t) => t.name));
    call.span.setAttribute(ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS, summary.toolCalls.map((t) => t.id ?? ""));
  }
  if (summary.softError !== undefined) call.softError(summary.softError.kind, summary.softError.detail);
  if (capture.enabled && summary.outputMessages.length > 0) {
    call.span.setAttribute(ATTR_GEN_AI_OUTPUT_MESSAGES, capture.serialize(summary.outputMessages));
  }
}

/** Records the request's input messages and, when the request has any, its system instructions. */
export function recordInputContent(
  span: Span,
  capture: ContentCapture,
  messages: readonly GenAiMessage[],
  instructions?: readonly GenAiMessagePart[],
): void {
  span.setAttribute(ATTR_GEN_AI_INPUT_MESSAGES, capture.serialize(messages));
  if (instructions === undefined) return;
  span.setAttribute(
    ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
    JSON.stringify(instructions.map((part) => (part.type === "text" ? { ...part, content: capture.text(part.content) } : part))),
  );
}

// An app talks to one or two base URLs: parsing the same one with `new URL` on every call is wasted work.
let lastBaseUrl: unknown;
let lastServer: Readonly<{ serverAddress?: string; serverPort?: number }> = {};

function serverOf(baseURL: unknown): Readonly<{ serverAddress?: string; serverPort?: number }> {
  if (baseURL !== lastBaseUrl || typeof baseURL !== "string") {
    lastServer = serverOfBaseUrl(baseURL);
    lastBaseUrl = baseURL;
  }
  return lastServer;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

// Passed to context.with with its arguments, so that no closure is allocated per call.
function applyMethod(method: Method, self: unknown, args: unknown[]): unknown {
  return method.apply(self, args);
}
type PatchTarget = { owner: object; name: string };

const FETCH = "fetchWithTimeout";
const BUILD_REQUEST = "buildRequest";
const RETRY_REQUEST = "retryRequest";
const SHOULD_RETRY = "shouldRetry";
const CREATE = "create";

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

/**
 * Base of the `openai` and `@anthropic-ai/sdk` instrumentations: hook and manual patching, `disable()`, and one
 * GenAI span per `create` call with its attempts, its `APIPromise` or stream observed until the span ends.
 */
export abstract class StainlessInstrumentation<
  Config extends StainlessInstrumentationConfig,
  ModuleExports extends object,
  Key,
> extends InstrumentationBase<Config> {
  // Declared, not initialized: the base constructor calls init()/enable() before subclass fields would be set.
  declare private manualPatches: PatchTarget[] | undefined;
  declare private capture: ContentCapture | undefined;
  declare private conventions: GenAiConventions | undefined;
  declare private reader: ResponseReader<Key> | undefined;
  declare private llmMetrics: LlmMetrics | undefined;

  /** A getter, not a field: InstrumentationBase's constructor calls init(), which needs it, before fields are set. */
  protected abstract get sdk(): StainlessSdk<Key>;

  /** How a request starts its span. */
  protected abstract describeRequest(key: Key, body: unknown): StainlessRequest;
  /** Records the request content; only called with content capture on. */
  protected abstract recordInput(span: Span, key: Key, body: unknown, capture: ContentCapture): void;
  /** Writes a parsed (non-stream) response on the call. */
  protected abstract recordResponse(call: LlmCall, key: Key, response: Fields, capture: ContentCapture): void;
  /**
   * How a streamed response is followed, from the request `body` on (what it asked for says what a complete stream
   * holds); undefined when nothing is read from its chunks.
   */
  protected abstract accumulateStream(call: LlmCall, key: Key, body: unknown, capture: ContentCapture): StreamAccumulation | undefined;

  /** The GenAI metrics come from this instrumentation's meter, so `setMeterProvider` routes them (called by the
   * base class with the global meter at construction, and again on every `setMeterProvider`). */
  protected override _updateMetricInstruments(): void {
    this.llmMetrics = createLlmMetrics(this.meter);
  }

  // Every field of a config is optional, so `{}` is one; TypeScript cannot see that through the type parameter.
  override setConfig(config: Config = {} as Config): void {
    super.setConfig(config);
    this.capture = undefined;
    this.conventions = undefined;
  }

  /**
   * The GenAI convention version this instrumentation writes: the config's `semconvStabilityOptIn`, else
   * `OTEL_SEMCONV_STABILITY_OPT_IN`, asks for the latest experimental one with `gen_ai_latest_experimental`.
   */
  protected get genAiConventions(): GenAiConventions {
    this.conventions ??= genAiConventionsFrom(this.semconvOptIn());
    return this.conventions;
  }

  /** The opt-in list: the config's, unless it is not a string (reported, and ignored), else the environment's. */
  private semconvOptIn(): string | undefined {
    const configured: unknown = this.getConfig().semconvStabilityOptIn;
    if (typeof configured === "string") return configured;
    if (configured !== undefined) {
      this._diag.warn(`semconvStabilityOptIn must be a string such as "${GEN_AI_LATEST_EXPERIMENTAL}"; got ${String(configured)}; ignored`);
    }
    return process.env[SEMCONV_STABILITY_OPT_IN_ENV];
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const { moduleName, supportedVersions } = this.sdk;
    return [
      new InstrumentationNodeModuleDefinition(
        moduleName,
        supportedVersions,
        (moduleExports: ModuleExports) => {
          this.patchClientClass(this.clientClassOf(moduleExports), false);
          return moduleExports;
        },
        (moduleExports: ModuleExports | undefined) => {
          if (moduleExports !== undefined) this.unpatchClientClass(this.clientClassOf(moduleExports));
        },
      ),
    ];
  }

  /**
   * Instruments an SDK module object you imported yourself, for bundled apps where no require/import hook sees the
   * SDK load: `manuallyInstrument(OpenAI)` or `manuallyInstrument(await import("openai"))`. Accepts the module
   * namespace or the client class. Undone by `disable()`.
   */
  manuallyInstrument(moduleExports: ModuleExports | (new (...args: never[]) => unknown)): void {
    try {
      this.patchClientClass(typeof moduleExports === "function" ? moduleExports : this.clientClassOf(moduleExports), true);
    } catch (err) {
      this._diag.error(`instrumenting the ${this.sdk.moduleName} module failed`, err);
    }
  }

  /**
   * Instruments the classes behind one client instance (its client class and the classes of its traced resources),
   * for bundled apps: every client of those classes is traced from then on. Returns the same client. Undone by
   * `disable()`.
   */
  instrumentClient<Client extends object>(client: Client): Client {
    try {
      retainApiPromisePatches(this);
      this.patchAttemptTracking(client, true);
      for (const { key, clientPath } of this.sdk.resources) {
        const owner = findMethodOwner(walk(client, clientPath), CREATE);
        if (owner !== undefined) this.patchMethod(owner, CREATE, (original) => this.wrapCreate(key, original), true);
      }
    } catch (err) {
      this._diag.error(`instrumenting an ${this.sdk.label} client failed`, err);
    }
    return client;
  }

  override disable(): void {
    super.disable();
    for (const target of this.manualPatches ?? []) this.unpatch(target);
    this.manualPatches = [];
    releaseApiPromisePatches(this);
  }

  private contentCapture(): ContentCapture {
    this.capture ??= resolveContentCapture(this.getConfig(), process.env, this._diag);
    return this.capture;
  }

  /** What a {@link TracedCall} calls back into: built once, so that a call allocates no closures for it. */
  private responseReader(): ResponseReader<Key> {
    this.reader ??= {
      recordResponse: (call, key, response, capture) => this.recordResponse(call, key, response, capture),
      diag: this._diag,
    };
    return this.reader;
  }

  // Not fieldsOf: a CommonJS SDK module's exports is the client class itself, a function.
  private clientClassOf(moduleExports: ModuleExports): unknown {
    const exported = moduleExports as Readonly<Record<string, unknown>>;
    return exported[this.sdk.clientExport] ?? exported.default;
  }

  private patchClientClass(clientClass: unknown, manual: boolean): void {
    const { moduleName, clientExport, label, resources } = this.sdk;
    retainApiPromisePatches(this);
    const clientProto = prototypeOf(clientClass);
    if (clientProto === undefined) {
      this._diag.warn(`the ${moduleName} module has no ${clientExport} class; not instrumented`);
      return;
    }
    if (!this.patchAttemptTracking(clientProto, manual)) this._diag.warn(`the ${label} client has no ${FETCH}; attempts are not recorded`);
    for (const { key, classPath } of resources) {
      const owner = this.createOwner(clientClass, classPath);
      if (owner === undefined) {
        this._diag.warn(`${clientExport}.${classPath.join(".")}.prototype.${CREATE} not found; not instrumented`);
        continue;
      }
      this.patchMethod(owner, CREATE, (original) => this.wrapCreate(key, original), manual);
    }
  }

  /** Patches the per-attempt method of a client (class prototype or instance); false when it has none. */
  private patchAttemptTracking(client: object, manual: boolean): boolean {
    const fetchOwner = findMethodOwner(client, FETCH);
    if (fetchOwner === undefined) return false;
    // With the client's retry check and retry patched, those end a first attempt, which then needs no promise
    // reaction (attempts.ts).
    const shouldRetryOwner = findMethodOwner(client, SHOULD_RETRY);
    const retryOwner = findMethodOwner(client, RETRY_REQUEST);
    const sdkEndsFirstAttempt = shouldRetryOwner !== undefined && retryOwner !== undefined;
    if (sdkEndsFirstAttempt) {
      this.patchMethod(shouldRetryOwner, SHOULD_RETRY, (original) => endAttemptOnStatus(original), manual);
      this.patchMethod(retryOwner, RETRY_REQUEST, (original) => trackRetries(original), manual);
    }
    this.patchMethod(fetchOwner, FETCH, (original) => trackStainlessAttempts(original, sdkEndsFirstAttempt), manual);
    const { parseRetryMethod } = this.sdk;
    if (parseRetryMethod !== undefined && findMethodOwner(client, parseRetryMethod) !== undefined) {
      const buildOwner = findMethodOwner(client, BUILD_REQUEST);
      if (buildOwner !== undefined && retryOwner !== undefined) {
        this.patchMethod(buildOwner, BUILD_REQUEST, (original) => markCallOptions(original), manual);
      } else {
        this._diag.warn(`the ${this.sdk.label} client has no ${BUILD_REQUEST}/${RETRY_REQUEST}; retries while reading a body are not recorded`);
      }
    }
    return true;
  }

  private unpatchClientClass(clientClass: unknown): void {
    const clientProto = prototypeOf(clientClass);
    if (clientProto === undefined) return;
    for (const name of [FETCH, BUILD_REQUEST, RETRY_REQUEST, SHOULD_RETRY]) {
      const owner = findMethodOwner(clientProto, name);
      if (owner !== undefined) this.unpatch({ owner, name });
    }
    for (const { classPath } of this.sdk.resources) {
      const owner = this.createOwner(clientClass, classPath);
      if (owner !== undefined) this.unpatch({ owner, name: CREATE });
    }
  }

  private createOwner(clientClass: unknown, classPath: readonly string[]): object | undefined {
    const proto = prototypeOf(walk(clientClass, classPath));
    return proto === undefined ? undefined : findMethodOwner(proto, CREATE);
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

  private unpatch({ owner, name }: PatchTarget): void {
    const target = owner as Record<string, unknown>;
    if (isWrapped(target[name])) this._unwrap(target, name);
  }

  /** The replacement for a resource's `create`: one span per call, around the SDK's own call. */
  private wrapCreate(key: Key, original: Method): Method {
    const instrumentation = this;
    return function create(this: unknown, ...args: unknown[]): unknown {
      let traced: TracedCall<Key> | undefined;
      try {
        traced = instrumentation.startCall(key, this, args[0]);
      } catch (err) {
        instrumentation._diag.error(`starting an ${instrumentation.sdk.label} span failed`, err);
      }
      if (traced === undefined) return original.apply(this, args);

      const refusal = budgetCheck(traced.call.context);
      if (refusal !== undefined) {
        traced.end(refusal);
        return Promise.reject(refusal);
      }

      let result: unknown;
      try {
        result = context.with(traced.attempts.context, applyMethod, undefined, original, this, args);
      } catch (err) {
        traced.end(err);
        throw err;
      }
      try {
        traced.observe(result);
      } catch (err) {
        instrumentation._diag.error(`observing an ${instrumentation.sdk.label} call failed`, err);
      }
      return result;
    };
  }

  private startCall(key: Key, resource: unknown, body: unknown): TracedCall<Key> {
    const request = this.describeRequest(key, body);
    const options: LlmCallOptions = {
      provider: this.sdk.provider,
      operation: request.operation,
      attributes: request.attributes,
    };
    // The conventions set gen_ai.request.stream on streaming requests only: its absence means "not streaming".
    if (request.stream) options.stream = true;
    if (this.llmMetrics !== undefined) options.metrics = this.llmMetrics;
    if (request.requestModel !== undefined) options.requestModel = request.requestModel;
    const client = fieldsOf(fieldsOf(resource)?._client);
    const server = serverOf(client?.baseURL);
    if (server.serverAddress !== undefined) options.serverAddress = server.serverAddress;
    if (server.serverPort !== undefined) options.serverPort = server.serverPort;
    const call = startLlmCall(this.tracer, options);
    try {
      const capture = this.contentCapture();
      if (capture.enabled) this.recordInput(call.span, key, body, capture);
      const accumulation = request.stream ? this.accumulateStream(call, key, body, capture) : undefined;
      const attempts = trackAttempts(call.context, call, this._diag);
      return new TracedCall(call, attempts, request.stream, accumulation, key, capture, this.responseReader());
    } catch (err) {
      // The call goes ahead untraced (the caller reports why): its span must not stay open.
      call.end();
      throw err;
    }
  }
}

/** What a {@link TracedCall} needs from its instrumentation: how a response is read, where failures are reported. */
interface ResponseReader<Key> {
  recordResponse(call: LlmCall, key: Key, response: Fields, capture: ContentCapture): void;
  readonly diag: DiagLogger;
}

/** One traced SDK call: its span, its attempts, and how its result is observed until the span ends. It is its own
 * APIPromise observer, so observing a call allocates no observer object and closures. */
class TracedCall<Key> implements ApiPromiseObserver {
  private ended = false;
  /** Only a stream's time to first chunk reads it. */
  private readonly startedAt: number;

  constructor(
    readonly call: LlmCall,
    readonly attempts: AttemptTracking,
    private readonly stream: boolean,
    /** How a streamed answer is followed, for a streaming request. */
    private readonly accumulation: StreamAccumulation | undefined,
    private readonly key: Key,
    private readonly capture: ContentCapture,
    private readonly reader: ResponseReader<Key>,
  ) {
    this.startedAt = stream ? performance.now() : 0;
  }

  /** Where this call's observation failures are reported: the instrumentation's own logger. */
  get diag(): DiagLogger {
    return this.reader.diag;
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.attempts.settle(error);
    this.call.end(error);
  }

  observe(result: unknown): void {
    const hooked = observeApiPromise(result, this);
    if (hooked && observesResponses(result)) this.attempts.seeResponses();
    if (!hooked) {
      // Not an APIPromise (a future SDK shape): still end the span when it settles, without changing the result.
      Promise.resolve(result)
        .then(
          (value) => this.onParsed(value),
          (error: unknown) => this.end(error),
        )
        .catch((err: unknown) => this.diag.error("observing a call's result failed", err));
    }
  }

  onError(error: unknown): void {
    this.end(error);
  }

  onResponse(response: unknown): void {
    this.attempts.responded(response);
  }

  onRawResponse(response: unknown): void {
    // The body belongs to the user (`.asResponse()`): the call is over once the headers are in.
    this.attempts.responded(response);
    const status = fieldsOf(response)?.status;
    if (typeof status === "number") this.call.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    this.end();
  }

  onParsed(value: unknown): void {
    if (this.ended) return;
    if (this.stream && isStainlessStream(value)) {
      this.attempts.settle();
      this.observeStream(value);
      return;
    }
    const response = fieldsOf(value);
    if (response !== undefined) this.reader.recordResponse(this.call, this.key, response, this.capture);
    this.end();
  }

  private observeStream(stream: StainlessStream<unknown>): void {
    const accumulation = this.accumulation;
    let firstChunk = true;
    observeStream(stream, {
      diag: this.reader.diag,
      onChunk: (chunk) => {
        if (firstChunk) {
          firstChunk = false;
          this.call.span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - this.startedAt) / 1000);
        }
        accumulation?.add(chunk);
      },
      onEnd: (end) => this.onStreamEnd(end, accumulation),
    });
  }

  private onStreamEnd(end: StreamEnd, accumulation: StreamAccumulation | undefined): void {
    if (this.ended) return;
    // The stream's own ending comes first: it is why whatever follows is partial.
    if (end.kind === "aborted") this.call.softError("stream_aborted", "aborted");
    else if (end.kind === "stopped") this.call.softError("stream_aborted", "consumer stopped early");
    else if (end.kind === "abandoned") this.call.softError("stream_aborted", "abandoned");
    else if (end.kind === "completed") {
      // The SDK read the stream to its end, but the connection closed before the provider's last event: the caller
      // holds part of an answer and nothing raised.
      const missing = accumulation?.missingEnd();
      if (missing !== undefined) this.call.softError("stream_incomplete", missing);
    }
    accumulation?.finish(end);
    this.end(end.kind === "error" ? end.error : undefined);
  }
}
