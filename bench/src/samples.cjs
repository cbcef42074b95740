"use strict";
// How a worker takes and paces its measured samples.
//
// A sample's value is CPU time, not wall-clock time: the process's user + system time (every thread: the garbage
// collector's helpers and the compiler count, as users pay for them) from the end of the previous sample to the end
// of this one, divided by the units of work the sample ran. Counting from the previous sample's end, not from this
// one's start, charges the work a sample leaves behind (a batch exported on a timer, a tail-sampling decision taken
// ten seconds later, a collection) to the samples around it instead of losing it while the worker waits for its
// turn. On this shared machine the wall clock charges a process for its neighbours; its CPU time barely does.
//
// On its own (a profiler run, a look by hand) a worker takes its samples back to back. Under `pnpm bench` it runs in
// lockstep: the variants of one comparison are all started, and the parent asks each in turn for one sample at a
// time, so that the samples of one round see the same machine.
//
// The protocol, one JSON line each way per step on stdout, one word per line on stdin:
//   worker → {"ready":true}      warmed up, waiting
//   parent → warm                run one sample and discard it (a warm-up round: the JIT, a sampler's buffer)
//   worker → {"warm":<value>}
//   parent → sample              take one sample
//   worker → {"sample":<value>}  its value
// After the last sample the worker writes its result line as usual and exits.

const readline = require("node:readline");

/** CPU time this process has used so far (user + system, every thread), in µs. */
function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Takes `options.samples` samples, each one `runOne()` (which does `units` units of work), paced by the parent when
 * `options.lockstep` is set; on its own, `options.warmSamples` (default 0) samples are run and discarded first.
 * Returns `values`, CPU µs per unit for each sample in the order they were taken, and `taken`, how many samples ran
 * in all (warm-up samples included: their work is exported and counted like the rest).
 */
async function takeSamples(options, runOne, units) {
  let mark = cpuMicros();
  const measure = async () => {
    await runOne();
    const now = cpuMicros();
    const value = (now - mark) / units;
    mark = now;
    return value;
  };
  const values = [];
  let taken = 0;
  if (!options.lockstep) {
    for (; taken < (options.warmSamples ?? 0); taken++) await measure();
    for (let sample = 0; sample < options.samples; sample++, taken++) values.push(await measure());
    return { values, taken };
  }
  const input = readline.createInterface({ input: process.stdin });
  const commands = input[Symbol.asyncIterator]();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  try {
    while (values.length < options.samples) {
      const command = await commands.next();
      if (command.done || (command.value !== "sample" && command.value !== "warm")) {
        throw new Error(`lockstep: expected "sample" or "warm" from the parent, got ${command.done ? "the end of stdin" : JSON.stringify(command.value)}`);
      }
      const value = await measure();
      taken++;
      if (command.value === "sample") values.push(value);
      process.stdout.write(`${JSON.stringify({ [command.value]: value })}\n`);
    }
  } finally {
    input.close();
  }
  return { values, taken };
}

module.exports = { takeSamples, cpuMicros };
