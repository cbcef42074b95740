/**
 * Where the server is in its fault script: which step each request gets, and how many requests each scenario (or
 * route) has seen. One request takes one step from the first source that has one: its scenario, the enqueued steps,
 * the script's route list, the script's sequence, the fallback.
 */
import { BUILT_IN_SCENARIOS, parseFaultScript } from "./script.js";
import type { FaultScript, FaultStep, RouteName } from "./types.js";

const OK: FaultStep = { kind: "ok" };

export interface NextStep {
  step: FaultStep;
  /** 1-based count of requests with the same scenario key (or, without one, the same route). */
  attempt: number;
}

export class ScriptCursor {
  private script: FaultScript;
  private enqueued: FaultStep[] = [];
  /** Position in each list, by list key (`scenario:NAME#instance`, `route:ROUTE`, `sequence`). */
  private readonly positions = new Map<string, number>();
  private readonly attempts = new Map<string, number>();

  constructor(script: FaultScript | undefined) {
    this.script = script ? parseFaultScript(script) : {};
  }

  /** Validates the steps, then queues them ahead of the script's routes and sequence. */
  enqueue(steps: FaultStep[]): void {
    this.enqueued.push(...(parseFaultScript({ sequence: steps }).sequence ?? []));
  }

  /** Replaces the script and rewinds its lists. */
  setScript(script: FaultScript): void {
    this.script = parseFaultScript(script);
    this.positions.clear();
  }

  /** Forgets enqueued steps and attempt counts, and rewinds the script. */
  reset(): void {
    this.enqueued = [];
    this.positions.clear();
    this.attempts.clear();
  }

  next(route: RouteName, scenario: string | undefined): NextStep {
    const step = this.select(route, scenario);
    const attemptKey = scenario !== undefined ? `scenario:${scenario}` : `route:${route}`;
    const attempt = (this.attempts.get(attemptKey) ?? 0) + 1;
    this.attempts.set(attemptKey, attempt);
    return { step, attempt };
  }

  private select(route: RouteName, scenario: string | undefined): FaultStep {
    const script = this.script;
    if (scenario !== undefined) {
      // `name#instance` keys share the definition `name` but count their own steps, so concurrent runs don't collide.
      const name = scenario.split("#")[0] ?? scenario;
      const defined = script.scenarios?.[name];
      if (defined) return this.take(defined, `scenario:${scenario}`) ?? script.fallback ?? OK;
      const builtIn = BUILT_IN_SCENARIOS[name];
      if (builtIn) return this.take(builtIn.steps, `scenario:${scenario}`, builtIn.repeat) ?? OK;
    }
    const next = this.enqueued.shift();
    if (next) return next;
    return this.take(script.routes?.[route], `route:${route}`) ?? this.take(script.sequence, "sequence") ?? script.fallback ?? OK;
  }

  /** The list's next step; a repeating list wraps around, an exhausted one gives undefined. */
  private take(list: FaultStep[] | undefined, key: string, repeat = false): FaultStep | undefined {
    if (!list || list.length === 0) return undefined;
    const position = this.positions.get(key) ?? 0;
    if (!repeat && position >= list.length) return undefined;
    this.positions.set(key, position + 1);
    return list[position % list.length];
  }
}
