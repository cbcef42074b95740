import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeConfigFile } from "./collector.js";
import { goBinaries } from "./go-binaries.js";
import { freePorts, ManagedProcess, waitUntilHealthy } from "./processes.js";

/** Jaeger v2 with in-memory storage, its OTLP receiver and its query HTTP API on loopback ports chosen at run time. */
export interface RunningJaeger {
  readonly otlpGrpcEndpoint: string;
  readonly otlpHttpUrl: string;
  readonly queryUrl: string;
  readonly process: ManagedProcess;
  readonly client: JaegerClient;
  stop(): Promise<void>;
}

export async function startJaeger(): Promise<RunningJaeger> {
  const [otlpGrpc, otlpHttp, queryHttp, queryGrpc, health] = await freePorts(5);
  const directory = mkdtempSync(path.join(tmpdir(), "telltale-jaeger-"));
  // Jaeger v2 is a collector distribution: the same config shape, with Jaeger's storage and query extensions.
  const configFile = writeConfigFile(directory, "jaeger.yaml", {
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: [], exporters: ["jaeger_storage_exporter"] },
      },
      telemetry: { metrics: { level: "none" }, logs: { level: "warn" } },
    },
    extensions: {
      jaeger_storage: { backends: { memstore: { memory: { max_traces: 100_000 } } } },
      jaeger_query: {
        storage: { traces: "memstore" },
        http: { endpoint: `127.0.0.1:${queryHttp}` },
        grpc: { endpoint: `127.0.0.1:${queryGrpc}` },
      },
      healthcheckv2: { use_v2: true, http: { endpoint: `127.0.0.1:${health}` } },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${otlpGrpc}` },
          http: { endpoint: `127.0.0.1:${otlpHttp}` },
        },
      },
    },
    exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
  });
  const child = new ManagedProcess("jaeger", goBinaries().jaeger, ["--config", configFile]);
  const queryUrl = `http://127.0.0.1:${queryHttp}`;
  try {
    await waitUntilHealthy(child, `http://127.0.0.1:${health}/status`);
    await waitUntilHealthy(child, `${queryUrl}/api/v3/services`);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    otlpGrpcEndpoint: `127.0.0.1:${otlpGrpc}`,
    otlpHttpUrl: `http://127.0.0.1:${otlpHttp}`,
    queryUrl,
    process: child,
    client: new JaegerClient(queryUrl),
    stop: () => child.stop(),
  };
}

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** One span as Jaeger returns it, flattened from OTLP/JSON. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  serviceName: string;
  attributes: Record<string, AttributeValue>;
  statusCode: "STATUS_CODE_UNSET" | "STATUS_CODE_OK" | "STATUS_CODE_ERROR" | string;
  links: { traceId: string; spanId: string }[];
}

/** A trace as Jaeger returns it: all spans Jaeger holds for one trace id. */
export interface StoredTrace {
  traceId: string;
  spans: StoredSpan[];
}

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpKeyValue[];
  status?: { code?: string | number };
  links?: { traceId: string; spanId: string }[];
}
interface OtlpJsonTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { spans?: OtlpJsonSpan[] }[];
  }[];
}

function anyValue(value: OtlpAnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
  return null;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const entry of list ?? []) result[entry.key] = anyValue(entry.value);
  return result;
}

const STATUS_NAMES: Record<number, string> = { 0: "STATUS_CODE_UNSET", 1: "STATUS_CODE_OK", 2: "STATUS_CODE_ERROR" };

/** Flattens Jaeger's OTLP/JSON answer and groups the spans by trace id. */
export function tracesFromOtlpJson(body: OtlpJsonTraces): StoredTrace[] {
  const byTrace = new Map<string, StoredSpan[]>();
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const serviceName = typeof resource["service.name"] === "string" ? resource["service.name"] : "";
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const code = span.status?.code;
        const stored: StoredSpan = {
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? "",
          name: span.name,
          serviceName,
          attributes: attributesOf(span.attributes),
          statusCode: typeof code === "number" ? (STATUS_NAMES[code] ?? String(code)) : (code ?? "STATUS_CODE_UNSET"),
          links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        };
        const spans = byTrace.get(span.traceId) ?? [];
        spans.push(stored);
        byTrace.set(span.traceId, spans);
      }
    }
  }
  return [...byTrace].map(([traceId, spans]) => ({ traceId, spans }));
}

export interface FindTracesQuery {
  service: string;
  operation?: string;
  /** Defaults to one hour ago. */
  startTimeMin?: Date;
  /** Defaults to one hour from now (spans may carry the sender's clock). */
  startTimeMax?: Date;
  /** Jaeger requires it (without it the search answers HTTP 500), so the caller says it, as a user must. */
  numTraces: number;
  /** Go duration, e.g. `1500ms`: only traces whose root lasted at least this long. */
  durationMin?: string;
}

/** Jaeger's query HTTP API: `/api/v3/*` (OTLP/JSON) and the UI's tag search `/api/traces`. */
export class JaegerClient {
  constructor(readonly baseUrl: string) {}

  /** GET /api/v3/services */
  async services(): Promise<string[]> {
    const body = (await this.getJson("/api/v3/services")) as { services?: string[] } | undefined;
    return body?.services ?? [];
  }

  /** GET /api/v3/traces: the traces of one service in a time window (no match is an empty list). Sends exactly the
   * parameters given: nothing a user would have to add is added here. */
  async findTraces(query: FindTracesQuery): Promise<StoredTrace[]> {
    const params = new URLSearchParams({
      "query.service_name": query.service,
      "query.start_time_min": (query.startTimeMin ?? new Date(Date.now() - 3_600_000)).toISOString(),
      "query.start_time_max": (query.startTimeMax ?? new Date(Date.now() + 3_600_000)).toISOString(),
      "query.num_traces": String(query.numTraces),
    });
    if (query.operation) params.set("query.operation_name", query.operation);
    if (query.durationMin) params.set("query.duration_min", query.durationMin);
    const body = (await this.getJson(`/api/v3/traces?${params}`)) as { result?: OtlpJsonTraces } | undefined;
    return body?.result ? tracesFromOtlpJson(body.result) : [];
  }

  /** GET /api/v3/traces/{traceId}: undefined when Jaeger has no span of it. */
  async getTrace(traceId: string): Promise<StoredTrace | undefined> {
    const body = (await this.getJson(`/api/v3/traces/${traceId}`)) as { result?: OtlpJsonTraces } | undefined;
    if (!body?.result) return undefined;
    return tracesFromOtlpJson(body.result).find((trace) => trace.traceId === traceId);
  }

  /**
   * The search a user types in the Jaeger UI (Service + Tags, e.g. `telltale.keep=true`): the trace ids whose spans
   * match every tag.
   */
  async searchTraceIdsByTags(service: string, tags: Record<string, string>): Promise<string[]> {
    const params = new URLSearchParams({
      service,
      tags: JSON.stringify(tags),
      lookback: "1h",
      limit: "1000",
      start: String((Date.now() - 3_600_000) * 1000),
      end: String((Date.now() + 3_600_000) * 1000),
    });
    const body = (await this.getJson(`/api/traces?${params}`)) as { data?: { traceID: string }[] } | undefined;
    return (body?.data ?? []).map((trace) => trace.traceID).sort();
  }

  /**
   * The UI's search with a minimum duration (**Min Duration** in the search form), optionally with tags: the trace
   * ids that have a span at least that long (matching the tags, if any).
   */
  async searchTraceIdsByDuration(service: string, minDuration: string, tags: Record<string, string> = {}): Promise<string[]> {
    const params = new URLSearchParams({
      service,
      minDuration,
      lookback: "1h",
      limit: "1000",
      start: String((Date.now() - 3_600_000) * 1000),
      end: String((Date.now() + 3_600_000) * 1000),
    });
    if (Object.keys(tags).length > 0) params.set("tags", JSON.stringify(tags));
    const body = (await this.getJson(`/api/traces?${params}`)) as { data?: { traceID: string }[] } | undefined;
    return (body?.data ?? []).map((trace) => trace.traceID).sort();
  }

  private async getJson(pathAndQuery: string): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`Jaeger ${pathAndQuery}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }
}
