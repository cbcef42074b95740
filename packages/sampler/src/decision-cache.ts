/**
 * The decision cache: what late spans of an already decided trace follow. Bounded by a count; the oldest decision
 * is forgotten first (a late span of a forgotten trace starts a new buffered trace).
 */
export class DecisionCache<Decision> {
  private readonly decisions = new Map<string, Decision>();
  /** Insertion order of ids, as a ring: oldest-first eviction without an iterator or re-insertion per decision. */
  private readonly ring: (string | undefined)[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  get(traceId: string): Decision | undefined {
    return this.decisions.get(traceId);
  }

  /** Remembers (or replaces) the decision for a trace. */
  set(traceId: string, decision: Decision): void {
    if (this.capacity === 0) return;
    const known = this.decisions.has(traceId);
    this.decisions.set(traceId, decision);
    if (known) return;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.decisions.delete(evicted);
    this.ring[this.next] = traceId;
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.decisions.size;
  }
}
