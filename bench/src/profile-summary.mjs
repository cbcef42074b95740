// Reads a V8 .cpuprofile (from node --cpu-prof) and lists where the time went: self time per function and per
// package, which is what "why is this line slower" needs.

/** `calls`: how many calls the profiled process made, to express self time as µs per call. */
export function summariseProfile(profile, top = 25, calls = 0) {
  const { nodes, samples, timeDeltas } = profile;
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  for (let index = 0; index < samples.length; index++) {
    selfUs.set(samples[index], (selfUs.get(samples[index]) ?? 0) + (timeDeltas[index] ?? 0));
  }
  const total = [...selfUs.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map();
  const byPackage = new Map();
  for (const [id, micros] of selfUs) {
    const frame = byId.get(id).callFrame;
    const where = shortenUrl(frame.url);
    const key = `${frame.functionName || "(anonymous)"}  ${where}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
  }
  const perCall = (micros) => (calls > 0 ? `  ${(micros / calls).toFixed(2).padStart(7)} µs/call` : "");
  return [
    `self time by package${calls > 0 ? ` (${calls} calls, ${(total / calls).toFixed(1)} µs/call in all)` : ""}:`,
    ...topLines(byPackage, 15, total, perCall),
    "self time by function:",
    ...topLines(byFunction, top, total, perCall),
  ].join("\n");
}

/** The `limit` largest entries of `amounts`, each with its share of `total` and `format`ted amount. */
function topLines(amounts, limit, total, format) {
  return [...amounts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, amount]) => `  ${((100 * amount) / total).toFixed(1).padStart(5)}%${format(amount)}  ${name}`);
}

function shortenUrl(url) {
  if (!url) return "(native)";
  const pnpm = url.lastIndexOf("/node_modules/");
  if (pnpm >= 0) return url.slice(pnpm + "/node_modules/".length);
  const packages = url.indexOf("/packages/");
  if (packages >= 0) return url.slice(packages + 1);
  return url.replace(/^file:\/\//, "").replace(/^node:/, "node:");
}

function packageOf(url, functionName) {
  if (!url) return functionName.startsWith("(") ? functionName : "(native/V8 builtins)";
  if (url.startsWith("node:")) return "node: internals";
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url.slice(url.lastIndexOf("/node_modules/")));
  if (match) return match[1];
  const packages = /\/packages\/([^/]+)\//.exec(url);
  if (packages) return `@telltale/${packages[1]}`;
  if (url.includes("/bench/")) return "bench harness";
  return url;
}

/**
 * Reads a V8 sampling heap profile (HeapProfiler.stopSampling, with collected objects included) and lists the bytes
 * allocated per call by function and by package: where the garbage-collection time of a CPU profile comes from.
 */
export function summariseAllocations(profile, top = 25, calls = 1) {
  const byFunction = new Map();
  const byPackage = new Map();
  let total = 0;
  const visit = (node) => {
    const bytes = node.selfSize;
    if (bytes > 0) {
      const frame = node.callFrame;
      const key = `${frame.functionName || "(anonymous)"}  ${shortenUrl(frame.url)}:${frame.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + bytes);
      const pkg = packageOf(frame.url, frame.functionName || "(anonymous)");
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytes);
      total += bytes;
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(profile.head);
  const perCall = (bytes) => `  ${(bytes / calls).toFixed(0).padStart(7)} B/call`;
  return [
    `bytes allocated by package (${calls} calls, ${(total / calls).toFixed(0)} B/call in all):`,
    ...topLines(byPackage, 15, total, perCall),
    "bytes allocated by function:",
    ...topLines(byFunction, top, total, perCall),
  ].join("\n");
}
