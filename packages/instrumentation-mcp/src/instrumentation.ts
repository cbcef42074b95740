import { context, createNoopMeter, ValueType } from "@opentelemetry/api";
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
} from "@opentelemetry/instrumentation";
import {
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_CLIENT_SESSION_DURATION,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_MCP_SERVER_SESSION_DURATION,
} from "@telltale/core/attributes";
import { findMethodOwner } from "@telltale/instrumentation-common";
import { Hook as RequireHook } from "require-in-the-middle";
import { startClientCall } from "./client-call.js";
import { resolveConfig, type McpInstrumentationConfig, type ResolvedConfig } from "./config.js";
import { traceHandler, type StoredHandler } from "./server-call.js";
import { isClientRole, protocolAttributes, type ProtocolLike } from "./session.js";
import { DURATION_BUCKETS_S, type McpTelemetry } from "./telemetry.js";
import { VERSION } from "./version.js";
import { MCP_DIAG } from "./diag.js";

/** `@modelcontextprotocol/sdk` majors this instrumentation supports. */
export const SUPPORTED_VERSIONS_V1 = [">=1.0.0 <2"];
/** `@modelcontextprotocol/client` / `@modelcontextprotocol/server` majors this instrumentation supports. */
export const SUPPORTED_VERSIONS_V2 = [">=2.0.0 <3"];

const INSTRUMENTATION_NAME = "@telltale/instrumentation-mcp";

const V1_PACKAGE = "@modelcontextprotocol/sdk";
// The 1.x package has no main module: clients and servers load these files, each of which defines `Protocol`.
const V1_PROTOCOL_FILES = ["dist/cjs/shared/protocol.js", "dist/esm/shared/protocol.js"];
// require-in-the-middle gives up on every file of a package whose main it cannot resolve, unless the file itself is
// on its list (which names it without its extension): the require hook @opentelemetry/instrumentation registers
// never sees 1.x's CommonJS files.
const V1_CJS_PROTOCOL = `${V1_PACKAGE}/${V1_PROTOCOL_FILES[0]}`.replace(/\.js$/, "");
// Each 2.x package bundles its own copy of `Protocol` (in a chunk file with a hashed name) and exports it.
const V2_PACKAGES = ["@modelcontextprotocol/client", "@modelcontextprotocol/server"];

/** What the instrumentation finds a `Protocol` through: a module's exports, a class, or an instance. */
export interface McpModuleExports {
  Protocol?: unknown;
  Client?: unknown;
  Server?: unknown;
}

type Method = (this: ProtocolLike, ...args: unknown[]) => unknown;

/** Where the request and options arguments sit in the method every outgoing request goes through. */
interface RequestFunnel {
  readonly name: string;
  readonly request: number;
  readonly options: number;
}

// v2's funnel takes the wire codec first; v1 sends everything through `request` itself.
const FUNNELS: readonly RequestFunnel[] = [
  { name: "_requestWithSchemaViaCodec", request: 1, options: 3 },
  { name: "request", request: 0, options: 2 },
];
const SET_REQUEST_HANDLER = "setRequestHandler";
const CONNECT = "connect";
const ON_CLOSE = "_onclose";

/** Where to look for a class's methods: its prototype, or an object itself (an instance finds them up its chain). */
function methodSearchStart(value: unknown): object | undefined {
  if (typeof value === "function") {
    const proto: unknown = (value as { prototype?: unknown }).prototype;
    return typeof proto === "object" && proto !== null ? proto : undefined;
  }
  return typeof value === "object" && value !== null ? value : undefined;
}

/**
 * OpenTelemetry instrumentation for the Model Context Protocol SDKs: `@modelcontextprotocol/sdk` 1.x and the 2.x
 * `@modelcontextprotocol/client` and `@modelcontextprotocol/server`. Every request a client or server sends gets a
 * CLIENT span and every request it serves a SERVER span, following the OpenTelemetry MCP semantic conventions
 * (`docs/gen-ai/mcp.md`, status Development; the names as `@opentelemetry/semantic-conventions` 1.45 publishes them), with the trace
 * context carried both ways in `params._meta`, and tool failures, timeouts, late results and side effects named on
 * the spans. `manuallyInstrument(…)` is for bundled apps.
 */
export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  // Declared, not initialized: the base constructor calls init() and _updateMetricInstruments() first.
  declare private resolved: ResolvedConfig | undefined;
  declare private instruments: Omit<McpTelemetry, "tracer" | "config"> | undefined;
  declare private manualTargets: Set<object> | undefined;
  declare private sessions: WeakMap<object, number> | undefined;
  declare private v1RequireHook: RequireHook | undefined;
  declare private v1CjsExports: unknown;
  declare private cachedTelemetry: McpTelemetry | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(INSTRUMENTATION_NAME, VERSION, config);
  }

  override setConfig(config: McpInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.resolved = undefined;
  }

  protected override _updateMetricInstruments(): void {
    const histogram = (name: string, description: string) =>
      this.meter.createHistogram(name, { description, unit: "s", valueType: ValueType.DOUBLE, advice: { explicitBucketBoundaries: DURATION_BUCKETS_S } });
    const clientOperationDuration = histogram(METRIC_MCP_CLIENT_OPERATION_DURATION, "The duration of the MCP request or notification as observed on the sender");
    this.instruments = {
      clientOperationDuration,
      serverOperationDuration: histogram(METRIC_MCP_SERVER_OPERATION_DURATION, "MCP request or notification duration as observed on the receiver"),
      clientSessionDuration: histogram(METRIC_MCP_CLIENT_SESSION_DURATION, "The duration of the MCP session as observed on the MCP client"),
      serverSessionDuration: histogram(METRIC_MCP_SERVER_SESSION_DURATION, "The duration of the MCP session as observed on the MCP server"),
      // The no-op meter hands out one shared histogram: comparing with it tells a no-op meter apart.
      metricsEnabled: clientOperationDuration !== createNoopMeter().createHistogram(METRIC_MCP_CLIENT_OPERATION_DURATION),
    };
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const patch = <T>(exports: T): T => {
      this.patchModule(exports, false);
      return exports;
    };
    const unpatch = (exports: unknown): void => {
      if (exports !== undefined) this.unpatchTarget(exports);
    };
    return [
      new InstrumentationNodeModuleDefinition(
        V1_PACKAGE,
        SUPPORTED_VERSIONS_V1,
        undefined,
        undefined,
        V1_PROTOCOL_FILES.map((file) => new InstrumentationNodeModuleFile(`${V1_PACKAGE}/${file}`, SUPPORTED_VERSIONS_V1, patch, unpatch)),
      ),
      ...V2_PACKAGES.map((name) => new InstrumentationNodeModuleDefinition(name, SUPPORTED_VERSIONS_V2, patch, unpatch)),
    ];
  }

  /**
   * Instruments an MCP module you imported yourself, for bundled apps where no require/import hook sees it load:
   * `manuallyInstrument(await import("@modelcontextprotocol/client"))`, or the `Client`/`Server`/`Protocol` class, or
   * a client or server instance (its class is instrumented). Request handlers registered before this call are not
   * traced: call it before creating servers. Undone by `disable()`.
   */
  manuallyInstrument(target: McpModuleExports | object): void {
    try {
      if (!this.patchModule(target, true)) MCP_DIAG.warn("no MCP Protocol class found to instrument");
    } catch (err) {
      MCP_DIAG.error("instrumenting an MCP module failed", err);
    }
  }

  override enable(): void {
    super.enable();
    if (this.v1CjsExports !== undefined) this.patchModule(this.v1CjsExports, false);
    this.v1RequireHook ??= new RequireHook([V1_CJS_PROTOCOL], { internals: true }, (exports) => {
      this.v1CjsExports = exports;
      this.patchModule(exports, false);
      return exports;
    });
  }

  override disable(): void {
    super.disable();
    this.v1RequireHook?.unhook();
    this.v1RequireHook = undefined;
    if (this.v1CjsExports !== undefined) this.unpatchTarget(this.v1CjsExports);
    for (const target of this.manualTargets ?? []) this.unpatchPrototype(target);
    this.manualTargets = new Set();
  }

  /** What the call tracers record with; rebuilt only when the config, the tracer or the meter changed. */
  private telemetry(): McpTelemetry {
    this.resolved ??= resolveConfig(this.getConfig());
    if (this.instruments === undefined) this._updateMetricInstruments();
    const cached = this.cachedTelemetry;
    if (cached?.tracer === this.tracer && cached.config === this.resolved && cached.clientOperationDuration === this.instruments!.clientOperationDuration) {
      return cached;
    }
    this.cachedTelemetry = { tracer: this.tracer, config: this.resolved, ...this.instruments! };
    return this.cachedTelemetry;
  }

  /** The prototype every request goes through: the one defining the request funnel (`Protocol.prototype`). */
  private protocolPrototypeOf(target: unknown): { proto: object; funnel: RequestFunnel } | undefined {
    const exported = target as McpModuleExports | undefined;
    // A module's exports, a class, an instance, or a high-level `McpServer` (its `server` is the Protocol).
    const candidates: unknown[] = [exported?.Protocol, exported?.Client, exported?.Server, target, (target as { server?: unknown } | undefined)?.server];
    for (const candidate of candidates) {
      const from = methodSearchStart(candidate);
      if (from === undefined) continue;
      for (const funnel of FUNNELS) {
        const owner = findMethodOwner(from, funnel.name);
        if (owner !== undefined && findMethodOwner(owner, SET_REQUEST_HANDLER) !== undefined) return { proto: owner, funnel };
      }
    }
    return undefined;
  }

  private patchModule(target: unknown, manual: boolean): boolean {
    const found = this.protocolPrototypeOf(target);
    if (found === undefined) return false;
    const { proto, funnel } = found;
    const methods = proto as Record<string, Method>;
    if (!isWrapped(methods[funnel.name])) this._wrap(methods, funnel.name, (original: Method) => this.wrapFunnel(original, funnel));
    const handlerOwner = findMethodOwner(proto, SET_REQUEST_HANDLER) as Record<string, Method>;
    if (!isWrapped(handlerOwner[SET_REQUEST_HANDLER])) this._wrap(handlerOwner, SET_REQUEST_HANDLER, (original: Method) => this.wrapSetRequestHandler(original));
    if (typeof methods[CONNECT] === "function" && typeof methods[ON_CLOSE] === "function") {
      if (!isWrapped(methods[CONNECT])) this._wrap(methods, CONNECT, (original: Method) => this.wrapConnect(original));
      if (!isWrapped(methods[ON_CLOSE])) this._wrap(methods, ON_CLOSE, (original: Method) => this.wrapOnClose(original));
    }
    if (manual) {
      this.manualTargets ??= new Set();
      this.manualTargets.add(proto);
    }
    return true;
  }

  private unpatchTarget(target: unknown): void {
    const found = this.protocolPrototypeOf(target);
    if (found !== undefined) this.unpatchPrototype(found.proto);
  }

  private unpatchPrototype(proto: object): void {
    const methods = proto as Record<string, unknown>;
    for (const name of [...FUNNELS.map((funnel) => funnel.name), SET_REQUEST_HANDLER, CONNECT, ON_CLOSE]) {
      if (Object.hasOwn(methods, name) && isWrapped(methods[name])) this._unwrap(methods, name);
    }
  }

  /** Every outgoing request: a client span around the SDK's own request, its `params._meta` carrying the context. */
  private wrapFunnel(original: Method, funnel: RequestFunnel): Method {
    const instrumentation = this;
    return function tracedRequest(this: ProtocolLike, ...args: unknown[]): unknown {
      let call: ReturnType<typeof startClientCall>;
      try {
        call = startClientCall(instrumentation.telemetry(), this, { request: args[funnel.request], options: args[funnel.options] });
      } catch (err) {
        MCP_DIAG.error("starting an MCP client span failed", err);
      }
      if (call === undefined) return original.apply(this, args);
      args[funnel.request] = call.request;
      if (call.options !== args[funnel.options]) args[funnel.options] = call.options;
      let result: unknown;
      try {
        result = context.with(call.context, original, this, ...args);
      } catch (err) {
        call.end(err, undefined, true);
        throw err;
      }
      try {
        call.observe(result);
      } catch (err) {
        MCP_DIAG.error("observing an MCP request failed", err);
      }
      return result;
    };
  }

  /** Every request handler the SDK stores (the app's, and the SDK's own such as `initialize` and `ping`) is traced. */
  private wrapSetRequestHandler(original: Method): Method {
    const instrumentation = this;
    const telemetry = (): McpTelemetry => instrumentation.telemetry();
    return function tracedSetRequestHandler(this: ProtocolLike, ...args: unknown[]): unknown {
      const handlers = (this as { _requestHandlers?: unknown })._requestHandlers;
      const before = handlers instanceof Map ? new Map(handlers) : undefined;
      const result = original.apply(this, args);
      try {
        if (handlers instanceof Map && before !== undefined) {
          for (const [method, handler] of handlers) {
            if (before.get(method) !== handler && typeof handler === "function") {
              handlers.set(method, traceHandler(telemetry, this, handler as StoredHandler));
            }
          }
        } else {
          MCP_DIAG.warn("this MCP SDK keeps its request handlers where the instrumentation cannot see them; server spans are not recorded");
        }
      } catch (err) {
        MCP_DIAG.error("tracing an MCP request handler failed", err);
      }
      return result;
    };
  }

  private wrapConnect(original: Method): Method {
    const instrumentation = this;
    return function tracedConnect(this: ProtocolLike, ...args: unknown[]): unknown {
      instrumentation.sessions ??= new WeakMap();
      instrumentation.sessions.set(this, performance.now());
      return original.apply(this, args);
    };
  }

  /** The session ends when the transport closes: `mcp.client.session.duration` / `mcp.server.session.duration`. */
  private wrapOnClose(original: Method): Method {
    const instrumentation = this;
    return function tracedOnClose(this: ProtocolLike, ...args: unknown[]): unknown {
      try {
        const startedAt = instrumentation.sessions?.get(this);
        if (startedAt !== undefined) {
          instrumentation.sessions?.delete(this);
          const telemetry = instrumentation.telemetry();
          const attributes = {};
          protocolAttributes(this, attributes);
          const histogram = isClientRole(this) ? telemetry.clientSessionDuration : telemetry.serverSessionDuration;
          histogram.record((performance.now() - startedAt) / 1000, attributes);
        }
      } catch (err) {
        MCP_DIAG.error("recording an MCP session duration failed", err);
      }
      return original.apply(this, args);
    };
  }
}
