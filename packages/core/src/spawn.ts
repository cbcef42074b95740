import { context, type Attributes } from "@opentelemetry/api";
import { ATTR_TELLTALE_SPAWNED, ATTR_TELLTALE_UNHANDLED_REJECTION } from "./attributes.js";
import { rules, defineSchema } from "./options.js";
import { readName, runIn, runUntraced, type WorkFn } from "./run.js";
import { safely } from "./safe.js";
import { endWork, startWork } from "./work.js";

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** Re-reject the returned promise when the task fails, so an unhandled rejection surfaces as usual. Default
   * false: the failure is recorded on the span and the returned promise resolves. */
  rethrow?: boolean;
  attributes?: Attributes;
}

const SPAWN_SCHEMA = defineSchema<SpawnOptions>({ rethrow: rules.boolean, attributes: rules.attributes });

/**
 * Starts fire-and-forget work (F11, F12): a `spawn {name}` span (`telltale.spawned=true`) in the current trace.
 * Nobody needs to await it: a rejection is recorded on that span (`telltale.unhandled_rejection=true`) instead of
 * becoming an unhandled rejection. The returned promise settles when the work is done; it resolves even when the
 * work failed, unless `rethrow` is set. A workflow that ends while the task still runs records it as pending work
 * and is kept (`telltale.workflow.pending_tasks`).
 */
export function spawn(name: string, fn: WorkFn<unknown>, options?: SpawnOptions): Promise<void> {
  const valid = SPAWN_SCHEMA.read("spawn", options);
  const taskName = readName("spawn", name);
  const started = safely(
    "spawn start",
    () =>
      startWork(
        taskName === undefined ? "spawn" : `spawn ${taskName}`,
        { ...valid.attributes, [ATTR_TELLTALE_SPAWNED]: true },
        context.active(),
      ),
    undefined,
  );
  const work =
    started === undefined
      ? runUntraced(fn)
      : runIn(started.ctx, started.run, fn, (error, failed) =>
          safely("spawn end", () => {
            if (failed) started.span.setAttribute(ATTR_TELLTALE_UNHANDLED_REJECTION, true);
            endWork(started, error, failed, undefined);
          }),
        );
  return work.then(
    () => undefined,
    (error: unknown) => {
      if (valid.rethrow === true) throw error;
    },
  );
}
