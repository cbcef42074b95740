import { extract, step, tool } from "@telltale/core";
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from "@telltale/core/attributes";

/** The queue's name, as `messaging.destination.name` on the consumer's span. */
export const JOB_QUEUE_NAME = "triage-jobs";
/** The consumer's span name: `step handle_job`. */
export const CONSUMER_STEP = "handle_job";

/** A job as it would travel through Redis/SQS: plain strings only, trace context included by `inject()`. */
export interface IndexJob {
  ticketId: string;
  summary: string;
  trace?: Record<string, unknown>;
}

/**
 * An in-process job queue with one worker. The worker runs outside every workflow (as a real queue consumer does),
 * so its spans join the producer's trace only through the context the producer injected into the job (F14); a job
 * without it makes an orphan trace (F12).
 */
export class JobQueue {
  private readonly jobs: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly worker: Promise<void>;

  constructor() {
    // The worker starts here, before any workflow: its async context has no span.
    this.worker = this.work();
  }

  enqueue(job: IndexJob): void {
    this.jobs.push(JSON.stringify(job));
    this.wake?.();
  }

  /** Resolves once every job enqueued so far has been handled, then stops the worker. */
  async drain(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.worker;
    await Promise.all(this.inFlight);
  }

  private async work(): Promise<void> {
    for (;;) {
      const payload = this.jobs.shift();
      if (payload === undefined) {
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const handled = this.handle(JSON.parse(payload) as IndexJob).finally(() => this.inFlight.delete(handled));
      this.inFlight.add(handled);
    }
  }

  private async handle(job: IndexJob): Promise<void> {
    const consume = () =>
      step(
        CONSUMER_STEP,
        {
          attributes: {
            [ATTR_MESSAGING_SYSTEM]: "in-process",
            [ATTR_MESSAGING_OPERATION_TYPE]: "process",
            [ATTR_MESSAGING_DESTINATION_NAME]: JOB_QUEUE_NAME,
          },
        },
        () => tool("index_ticket", () => ({ indexed: job.ticketId, words: job.summary.split(" ").length })),
      );
    // Failures are on the spans; the worker keeps going.
    await (job.trace === undefined ? consume() : extract(job.trace, consume)).catch(() => undefined);
  }
}
