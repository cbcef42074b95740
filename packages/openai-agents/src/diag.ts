/**
 * Where this package's diagnostics go: an OpenTelemetry component logger named after the package, so the messages
 * carry no prefix of their own.
 */
import { diag, type DiagLogger } from "@opentelemetry/api";

export const OPENAI_AGENTS_DIAG: DiagLogger = diag.createComponentLogger({ namespace: "@telltale/openai-agents" });
