/**
 * What one MCP `Protocol` instance (a `Client` or a `Server`, v1 or v2) tells about every request it carries: its
 * transport (`network.transport`, the server address of an HTTP client), the session id, the negotiated protocol
 * version, and when its session started and ended (`mcp.*.session.duration`).
 */
import type { Attributes } from "@opentelemetry/api";
import {
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  NETWORK_TRANSPORT_VALUE_PIPE,
  NETWORK_TRANSPORT_VALUE_TCP,
} from "@telltale/core/attributes";
import { fieldsOf, serverOfBaseUrl, stringOf } from "@telltale/instrumentation-common";

/** The fields of a `Protocol` instance the instrumentation reads (all optional: SDK internals may move). */
export interface ProtocolLike {
  readonly transport?: unknown;
  readonly _requestMessageId?: unknown;
  getNegotiatedProtocolVersion?: () => unknown;
  callTool?: unknown;
}

const NO_ATTRIBUTES: Readonly<Attributes> = Object.freeze({});
const transportAttributesCache = new WeakMap<object, Readonly<Attributes>>();
const negotiatedVersions = new WeakMap<object, string>();

/** A `Client` calls tools; a `Server` does not. */
export function isClientRole(protocol: ProtocolLike): boolean {
  return typeof protocol.callTool === "function";
}

function describeTransport(transport: object): Readonly<Attributes> {
  const name = transport.constructor?.name ?? "";
  if (/stdio/i.test(name)) return { [ATTR_NETWORK_TRANSPORT]: NETWORK_TRANSPORT_VALUE_PIPE };
  if (!/http|sse|websocket/i.test(name)) return NO_ATTRIBUTES; // in-memory, or a transport of the app's own
  const attributes: Attributes = { [ATTR_NETWORK_TRANSPORT]: NETWORK_TRANSPORT_VALUE_TCP };
  // An HTTP client transport keeps the server's URL.
  const url = (transport as { _url?: unknown })._url;
  const server = serverOfBaseUrl(url instanceof URL ? url.href : stringOf(url));
  if (server.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = server.serverAddress;
  if (server.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = server.serverPort;
  return attributes;
}

/** `network.transport` (and, for an HTTP client, `server.address`/`server.port`) of the protocol's transport. */
export function transportAttributes(protocol: ProtocolLike): Readonly<Attributes> {
  const transport = protocol.transport;
  if (typeof transport !== "object" || transport === null) return NO_ATTRIBUTES;
  let attributes = transportAttributesCache.get(transport);
  if (attributes === undefined) {
    attributes = describeTransport(transport);
    transportAttributesCache.set(transport, attributes);
  }
  return attributes;
}

/** The session id (Streamable HTTP only). */
export function sessionIdOf(protocol: ProtocolLike, fallback?: unknown): string | undefined {
  const transport = fieldsOf(protocol.transport);
  return stringOf(transport?.sessionId) ?? stringOf(fallback);
}

/** Remembers the version an `initialize` result negotiated (v1 keeps it nowhere the instrumentation can read). */
export function rememberProtocolVersion(protocol: object, initializeResult: unknown): string | undefined {
  const version = stringOf(fieldsOf(initializeResult)?.protocolVersion);
  if (version !== undefined) negotiatedVersions.set(protocol, version);
  return version;
}

/** The negotiated protocol version: v2's own accessor, else what `initialize` answered. */
export function protocolVersionOf(protocol: ProtocolLike): string | undefined {
  if (typeof protocol.getNegotiatedProtocolVersion === "function") {
    try {
      const version = stringOf(protocol.getNegotiatedProtocolVersion());
      if (version !== undefined) return version;
    } catch {
      // An SDK whose accessor throws before negotiation: fall through.
    }
  }
  return negotiatedVersions.get(protocol as object);
}

/** The attributes every request of `protocol` shares. */
export function protocolAttributes(protocol: ProtocolLike, into: Attributes): void {
  const transport = transportAttributes(protocol);
  for (const key in transport) into[key] = transport[key];
  const version = protocolVersionOf(protocol);
  if (version !== undefined) into[ATTR_MCP_PROTOCOL_VERSION] = version;
}
