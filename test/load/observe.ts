/**
 * What the load test reads off a running collector: its own metrics (Prometheus text format), CPU time and memory
 * from /proc, the machine's load average; and a CPU cap through a cgroup, so a sampling collector gets a fixed share
 * of a core as it would in a fleet.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";

/** Metric name -> sum of every series of it (label sets are summed). */
export type MetricSums = Map<string, number>;

export async function scrapeMetrics(port: number): Promise<MetricSums> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const sums: MetricSums = new Map();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + Number(match[3]));
  }
  return sums;
}

/** The sum of every metric whose name starts with `prefix` and ends with `suffix` (names differ by release). */
export function metric(sums: MetricSums, prefix: string, suffix = ""): number {
  let total = 0;
  for (const [name, value] of sums) if (name.startsWith(prefix) && name.endsWith(suffix)) total += value;
  return total;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User plus system CPU seconds a process has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory now and at its peak, in MiB (NaN for a process that has exited meanwhile). */
export function residentMiB(pid: number): { rss: number; peak: number } {
  if (!existsSync(`/proc/${pid}/status`)) return { rss: Number.NaN, peak: Number.NaN };
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

export function loadAverage1m(): number {
  return loadavg()[0]!;
}

const CGROUP_CPU_ROOT = "/sys/fs/cgroup/cpu";

/**
 * A CPU cap (cgroup v1 `cpu` controller: quota per 100 ms period) for the processes put in it. Undefined where the
 * machine does not let this process make cgroups; the load test then says its sampling collectors ran uncapped.
 */
export class CpuCap {
  private constructor(private readonly directory: string) {}

  static create(name: string, cores: number): CpuCap | undefined {
    if (!existsSync(path.join(CGROUP_CPU_ROOT, "cpu.cfs_quota_us"))) return undefined;
    const directory = path.join(CGROUP_CPU_ROOT, `telltale-load-${process.pid}-${name}`);
    try {
      mkdirSync(directory, { recursive: true });
      writeFileSync(path.join(directory, "cpu.cfs_period_us"), "100000");
      writeFileSync(path.join(directory, "cpu.cfs_quota_us"), String(Math.round(cores * 100_000)));
      return new CpuCap(directory);
    } catch {
      return undefined;
    }
  }

  add(pid: number): void {
    writeFileSync(path.join(this.directory, "cgroup.procs"), String(pid));
  }

  /** Removes the cgroup; its processes must have exited. */
  remove(): void {
    try {
      rmdirSync(this.directory);
    } catch {
      // still in use or already gone
    }
  }
}
