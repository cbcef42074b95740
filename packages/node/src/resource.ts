/**
 * The resource every span and metric carries: the standard Node detectors, the environment's
 * `OTEL_RESOURCE_ATTRIBUTES` / `OTEL_SERVICE_NAME`, then the options of `start()`.
 *
 * `process.command_args` is left out unless `TELLTALE_CAPTURE_COMMAND_ARGS=true`: it goes out with every export, and
 * command lines carry API keys and tokens often enough (`--api-key=…`) that recording them is a choice to make.
 */
import type { Attributes } from "@opentelemetry/api";
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
  type DetectedResource,
  type Resource,
  type ResourceDetector,
} from "@opentelemetry/resources";
import { ATTR_SERVICE_NAME } from "@telltale/core/attributes";
import type { TelltaleConfig } from "./config.js";

/** The process resource attribute that holds the full command line (semantic conventions, `process.*`). */
const ATTR_PROCESS_COMMAND_ARGS = "process.command_args";

/** The process detector without `process.command_args`. */
const processDetectorWithoutArgs: ResourceDetector = {
  detect(config): DetectedResource {
    const detected = processDetector.detect(config);
    if (detected.attributes === undefined) return detected;
    const { [ATTR_PROCESS_COMMAND_ARGS]: _left, ...attributes } = detected.attributes;
    return { ...detected, attributes };
  },
};

export function buildResource(config: TelltaleConfig, extra: Attributes | undefined): Resource {
  // The env detector runs last so OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME win over detected values; the
  // config's own values are applied again on top so that `options.env` (tests) and `options.serviceName` count.
  const detectors = [
    serviceInstanceIdDetector,
    config.captureCommandArgs ? processDetector : processDetectorWithoutArgs,
    hostDetector,
    osDetector,
    envDetector,
  ];
  const detected = defaultResource().merge(detectResources({ detectors }));
  const overrides: Attributes = {
    ...config.resourceAttributes,
    ...extra,
    ...(config.serviceName !== undefined && { [ATTR_SERVICE_NAME]: config.serviceName }),
  };
  return Object.keys(overrides).length > 0 ? detected.merge(resourceFromAttributes(overrides)) : detected;
}
