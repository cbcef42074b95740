import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./go-binaries.js";
import type { PrometheusClient } from "./prometheus.js";

export const DASHBOARD_FILE = path.join(REPO_ROOT, "deploy/grafana/telltale-agents.json");

/** Grafana's dashboard variables replaced the way Grafana would before the query reaches Prometheus. */
const VARIABLE_VALUES: Record<string, string> = { $service: ".+", $__rate_interval: "5m" };

interface DashboardPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}
interface Dashboard {
  panels: DashboardPanel[];
  templating?: { list: { name: string; query?: string | { query?: string } }[] };
}

/** Every PromQL query the dashboard holds (panel targets, and variables' `label_values(metric, label)`). */
export function dashboardQueries(file = DASHBOARD_FILE): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(file, "utf8")) as Dashboard;
  const fromPanels = (panels: DashboardPanel[]): { panel: string; expr: string }[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((target) => (target.expr ? [{ panel: panel.title ?? "?", expr: target.expr }] : [])),
      ...fromPanels(panel.panels ?? []),
    ]);
  const fromVariables = (dashboard.templating?.list ?? []).flatMap((variable) => {
    const query = typeof variable.query === "string" ? variable.query : (variable.query?.query ?? "");
    const match = /^label_values\((\w+),\s*(\w+)\)$/.exec(query);
    // label_values(metric, label) asks for the series of `metric` carrying `label`.
    return match ? [{ panel: `variable $${variable.name}`, expr: `count by (${match[2]}) (${match[1]})` }] : [];
  });
  return [...fromPanels(dashboard.panels), ...fromVariables];
}

function withVariables(expr: string): string {
  return Object.entries(VARIABLE_VALUES).reduce((text, [name, value]) => text.split(name).join(value), expr);
}

interface Matcher {
  type: string;
  name: string;
  value: string;
}
interface SelectorUse {
  metric: string;
  matchers: Matcher[];
}
interface LabelUse {
  selectors: SelectorUse[];
  labels: string[];
}

/** Walks Prometheus' AST: the vector selectors, and the labels each aggregation groups by (over its selectors). */
function collect(node: unknown, selectors: SelectorUse[], groupings: LabelUse[]): void {
  if (Array.isArray(node)) {
    for (const child of node) collect(child, selectors, groupings);
    return;
  }
  if (!node || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  // A range selector (`metric{…}[5m]`) carries its name and matchers itself in Prometheus' AST.
  if (record.type === "vectorSelector" || record.type === "matrixSelector") {
    const matchers = (record.matchers as Matcher[] | undefined) ?? [];
    const metric = (record.name as string | undefined) || matchers.find((matcher) => matcher.name === "__name__")?.value || "";
    selectors.push({ metric, matchers: matchers.filter((matcher) => matcher.name !== "__name__") });
    return;
  }
  if (record.type === "aggregation") {
    const inner: SelectorUse[] = [];
    collect(record.expr, inner, groupings);
    selectors.push(...inner);
    groupings.push({ selectors: inner, labels: (record.grouping as string[] | undefined) ?? [] });
    return;
  }
  for (const value of Object.values(record)) collect(value, selectors, groupings);
}

export interface DashboardQueryCheck {
  panel: string;
  expr: string;
  metrics: string[];
  problems: string[];
}

/**
 * Checks each dashboard query against what a Prometheus holds: Prometheus parses it, every metric it selects has
 * series, every label it matches or groups by is on that metric's series, and every `label="value"` matcher names
 * a value those series carry. A query that would draw an empty panel on this pipeline is reported.
 */
export async function dashboardQueryChecks(client: PrometheusClient, file = DASHBOARD_FILE): Promise<DashboardQueryCheck[]> {
  const knownMetrics = new Set(await client.metricNames());
  const seriesByMetric = new Map<string, Record<string, string>[]>();
  const seriesOf = async (metric: string): Promise<Record<string, string>[]> => {
    if (!seriesByMetric.has(metric)) seriesByMetric.set(metric, knownMetrics.has(metric) ? await client.series(metric) : []);
    return seriesByMetric.get(metric)!;
  };
  const checks: DashboardQueryCheck[] = [];
  for (const { panel, expr } of dashboardQueries(file)) {
    const problems: string[] = [];
    const selectors: SelectorUse[] = [];
    const groupings: LabelUse[] = [];
    try {
      collect(await client.parseQuery(withVariables(expr)), selectors, groupings);
    } catch (error) {
      problems.push(`Prometheus cannot parse ${expr}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const selector of selectors) {
      if (!knownMetrics.has(selector.metric)) {
        problems.push(`no metric ${selector.metric || "(unnamed selector)"}`);
        continue;
      }
      const series = await seriesOf(selector.metric);
      for (const matcher of selector.matchers) {
        if (!series.some((labels) => matcher.name in labels)) problems.push(`${selector.metric} has no label ${matcher.name}`);
        else if (matcher.type === "=" && matcher.value !== "" && !series.some((labels) => labels[matcher.name] === matcher.value)) {
          problems.push(`${selector.metric} has no series with ${matcher.name}="${matcher.value}"`);
        }
      }
    }
    for (const grouping of groupings) {
      for (const label of grouping.labels) {
        const carriers = await Promise.all(grouping.selectors.map((selector) => seriesOf(selector.metric)));
        if (!carriers.some((series) => series.some((labels) => label in labels))) {
          problems.push(`grouped by ${label}, which ${grouping.selectors.map((selector) => selector.metric).join(", ")} does not carry`);
        }
      }
    }
    checks.push({ panel, expr, metrics: [...new Set(selectors.map((selector) => selector.metric))], problems });
  }
  return checks;
}
