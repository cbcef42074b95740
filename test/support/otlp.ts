/** POSTs an OTLP/JSON ExportTraceServiceRequest to a collector's OTLP/HTTP receiver; throws unless it is accepted. */
export async function postOtlpJson(otlpHttpUrl: string, body: unknown): Promise<void> {
  const response = await fetch(`${otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`OTLP POST to ${otlpHttpUrl} answered ${response.status}: ${await response.text()}`);
}
