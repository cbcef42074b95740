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
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  budgetCheck,
  startLlmCall,
  type LlmCall,
} from "@telltale/core";
import {
  fieldsOf,
  findMethodOwner,
  isStainlessStream,
  observeApiPromise,
  observeStream,
  resolveContentCapture,
  serverOfBaseUrl,
  stringOf,
  trackAttempts,
  trackStainlessAttempts,
  type AttemptTracking,
  type ContentCapture,
  type ContentCaptureConfig,
  type StainlessStream,
  type StreamEnd,
} from "@telltale/instrumentation-common";
import { describeRequest, inputMessages, systemInstructions } from "./request.js";
import { MessageStreamAccumulator, applySummary, summarizeMessage } from "./summary.js";
import { VERSION } from "./version.js";

/** Configuration of {@link AnthropicInstrumentation}. */
export interface AnthropicInstrumentationConfig extends InstrumentationConfig, ContentCaptureConfig {}

/** The `@anthropic-ai/sdk` versions this instrumentation supports (tested: 0.137 and 1.x). */
export const SUPPORTED_VERSIONS = [">=0.50.0 <2"];

const INSTRUMENTATION_NAME = "@telltale/instrumentation-anthropic";
const MODULE_NAME = "@anthropic-ai/sdk";

/** The `@anthropic-ai/sdk` module's exports, as far as the instrumentation needs them. */
export interface AnthropicModuleExports {
  Anthropic?: unknown;
  default?: unknown;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;
type PatchTarget = { owner: object; name: string };

/** Where the traced `create` methods hang off the `Anthropic` class (static resource classes). */
const RESOURCE_CLASS_PATHS: ReadonlyArray<readonly string[]> = [["Messages"], ["Beta", "Messages"]];
/** Where they hang off a client instance. */
const CLIENT_RESOURCE_PATHS: ReadonlyArray<readonly string[]> = [["messages"], ["beta", "messages"]];

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
 * OpenTelemetry instrumentation for `@anthropic-ai/sdk`: `messages.create` and `beta.messages.create` (plain and
 * streaming, and the SDK helpers built on them: `messages.stream()`, `parse()`, the tool runner) get one GenAI span
 * per call, with every HTTP attempt of the SDK's retry loop, soft errors, usage feeding the budget, and streams that
 * always end their span.
 */
export class AnthropicInstrumentation extends InstrumentationBase<AnthropicInstrumentationConfig> {
  // Declared, not initialized: the base constructor calls init()/enable() before subclass fields would be set.
  declare private manualPatches: PatchTarget[] | undefined;
  declare private capture: ContentCapture | undefined;

  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(INSTRUMENTATION_NAME, VERSION, config);
  }

  override setConfig(config: AnthropicInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.capture = undefined;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        MODULE_NAME,
        SUPPORTED_VERSIONS,
        (moduleExports: AnthropicModuleExports) => {
          this.patchModule(moduleExports, false);
          return moduleExports;
        },
        (moduleExports: AnthropicModuleExports | undefined) => {
          if (moduleExports !== undefined) this.unpatchModule(moduleExports);
        },
      ),
    ];
  }

  /**
   * Instruments an `@anthropic-ai/sdk` module object you imported yourself, for bundled apps where no require/import
   * hook sees the SDK load: `manuallyInstrument(Anthropic)` or `manuallyInstrument(await import("@anthropic-ai/sdk"))`.
   * Undone by `disable()`.
   */
  manuallyInstrument(moduleExports: AnthropicModuleExports | (new (...args: never[]) => unknown)): void {
    try {
      const exportsObject: AnthropicModuleExports =
        typeof moduleExports === "function" ? { Anthropic: moduleExports } : moduleExports;
      this.patchModule(exportsObject, true);
    } catch (err) {
      diag.error("telltale: instrumenting the @anthropic-ai/sdk module failed", err);
    }
  }

  /**
   * Instruments the classes behind one client instance (its client class and the classes of its `messages` and
   * `beta.messages`): every client of those classes is traced from then on. Returns the same client. Undone by
   * `disable()`.
   */
  instrumentClient<Client extends object>(client: Client): Client {
    try {
      const fetchOwner = findMethodOwner(client, "fetchWithTimeout");
      if (fetchOwner !== undefined) this.patchMethod(fetchOwner, "fetchWithTimeout", (original) => trackStainlessAttempts(original), true);
      for (const path of CLIENT_RESOURCE_PATHS) {
        const owner = findMethodOwner(walk(client, path), "create");
        if (owner !== undefined) this.patchMethod(owner, "create", (original) => this.wrapCreate(original), true);
      }
    } catch (err) {
      diag.error("telltale: instrumenting an Anthropic client failed", err);
    }
    return client;
  }

  override disable(): void {
    super.disable();
    for (const { owner, name } of this.manualPatches ?? []) {
      if (isWrapped((owner as Record<string, unknown>)[name])) this._unwrap(owner as Record<string, unknown>, name);
    }
    this.manualPatches = [];
  }

  private contentCapture(): ContentCapture {
    this.capture ??= resolveContentCapture(this.getConfig());
    return this.capture;
  }

  private patchTargets(moduleExports: AnthropicModuleExports): { fetchOwner?: object; createOwners: object[] } | undefined {
    const Anthropic = moduleExports.Anthropic ?? moduleExports.default;
    const clientProto = prototypeOf(Anthropic);
    if (clientProto === undefined) return undefined;
    const fetchOwner = findMethodOwner(clientProto, "fetchWithTimeout");
    const createOwners: object[] = [];
    for (const path of RESOURCE_CLASS_PATHS) {
      const proto = prototypeOf(walk(Anthropic, path));
      const owner = proto === undefined ? undefined : findMethodOwner(proto, "create");
      if (owner !== undefined) createOwners.push(owner);
      else diag.warn(`telltale: Anthropic.${path.join(".")}.prototype.create not found; not instrumented`);
    }
    return { ...(fetchOwner !== undefined ? { fetchOwner } : {}), createOwners };
  }

  private patchModule(moduleExports: AnthropicModuleExports, manual: boolean): void {
    const targets = this.patchTargets(moduleExports);
    if (targets === undefined) {
      diag.warn("telltale: the @anthropic-ai/sdk module has no Anthropic class; not instrumented");
      return;
    }
    if (targets.fetchOwner !== undefined) {
      this.patchMethod(targets.fetchOwner, "fetchWithTimeout", (original) => trackStainlessAttempts(original), manual);
    } else {
      diag.warn("telltale: the Anthropic client has no fetchWithTimeout; attempts are not recorded");
    }
    for (const owner of targets.createOwners) this.patchMethod(owner, "create", (original) => this.wrapCreate(original), manual);
  }

  private unpatchModule(moduleExports: AnthropicModuleExports): void {
    const targets = this.patchTargets(moduleExports);
    if (targets === undefined) return;
    const all: PatchTarget[] = targets.createOwners.map((owner) => ({ owner, name: "create" }));
    if (targets.fetchOwner !== undefined) all.push({ owner: targets.fetchOwner, name: "fetchWithTimeout" });
    for (const { owner, name } of all) {
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

  /** The replacement for a Messages resource's `create`: one span per call, around the SDK's own call. */
  private wrapCreate(original: Method): Method {
    const instrumentation = this;
    return function create(this: unknown, ...args: unknown[]): unknown {
      let traced: TracedCall | undefined;
      try {
        traced = instrumentation.startCall(this, args[0]);
      } catch (err) {
        diag.error("telltale: starting an Anthropic span failed", err);
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
        diag.error("telltale: observing an Anthropic call failed", err);
      }
      return result;
    };
  }

  private startCall(resource: unknown, body: unknown): TracedCall {
    const request = describeRequest(body);
    const call = startLlmCall(this.tracer, {
      provider: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
      operation: GEN_AI_OPERATION_NAME_VALUE_CHAT,
      ...(request.requestModel !== undefined ? { requestModel: request.requestModel } : {}),
      ...serverOfBaseUrl(fieldsOf(fieldsOf(resource)?._client)?.baseURL),
      stream: request.stream,
      attributes: request.attributes,
    });
    const capture = this.contentCapture();
    if (capture.enabled) recordInput(call.span, body, capture);
    return new TracedCall(call, trackAttempts(call.context, call), request.stream, capture);
  }
}

function recordInput(span: Span, body: unknown, capture: ContentCapture): void {
  span.setAttribute(ATTR_GEN_AI_INPUT_MESSAGES, capture.serialize(inputMessages(body)));
  const system = systemInstructions(body);
  if (system !== undefined) {
    span.setAttribute(
      ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
      JSON.stringify(system.map((part) => (part.type === "text" ? { ...part, content: capture.text(part.content) } : part))),
    );
  }
}

/** The `type` of an error event inside a stream (`overloaded_error` …), from the SDK's APIError. */
function streamErrorType(error: unknown): string | undefined {
  const fields = fieldsOf(error);
  // The APIError's `error` is the event's body: `{ type: "error", error: { type: "overloaded_error", … } }`.
  const body = fieldsOf(fields?.error);
  return stringOf(fieldsOf(body?.error)?.type) ?? stringOf(fields?.type) ?? stringOf(body?.type);
}

/** One traced SDK call: its span, its attempts, and how its result is observed until the span ends. */
class TracedCall {
  private ended = false;
  private readonly startedAt = performance.now();

  constructor(
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
          const status = fieldsOf(response)?.status;
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
    const message = fieldsOf(value);
    if (message !== undefined) applySummary(this.call, summarizeMessage(message, this.capture), this.capture);
    this.end();
  }

  private observeStream(stream: StainlessStream<unknown>): void {
    const accumulator = new MessageStreamAccumulator(this.capture.enabled);
    let firstChunk = true;
    observeStream(stream, {
      onChunk: (event) => {
        if (firstChunk) {
          firstChunk = false;
          this.call.span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - this.startedAt) / 1000);
        }
        accumulator.add(event);
      },
      onEnd: (end) => this.onStreamEnd(end, accumulator),
    });
  }

  private onStreamEnd(end: StreamEnd, accumulator: MessageStreamAccumulator): void {
    if (this.ended) return;
    // The stream's own ending comes first: it is why whatever follows is partial.
    if (end.kind === "aborted") this.call.softError("stream_aborted", "aborted");
    else if (end.kind === "stopped") this.call.softError("stream_aborted", "consumer stopped early");
    else if (end.kind === "abandoned") this.call.softError("stream_aborted", "abandoned");
    else if (end.kind === "error") {
      // An `event: error` inside a 200 stream (the API overloaded mid-answer): the SDK throws an APIError without a
      // status. It is both the call's error and an error payload the server sent.
      const type = streamErrorType(end.error);
      if (type !== undefined && fieldsOf(end.error)?.status === undefined) this.call.softError("error_payload", type);
    }
    const summary = summarizeMessage(accumulator.message(), this.capture);
    // An interrupted stream is not an empty answer: only a finished one can be judged empty.
    if (end.kind !== "completed" && summary.softError?.kind === "empty_output") delete summary.softError;
    applySummary(this.call, summary, this.capture);
    this.end(end.kind === "error" ? end.error : undefined);
  }
}
