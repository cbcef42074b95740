"use strict";
// How a worker paces its measured samples.
//
// On its own (a profiler run, a look by hand) a worker takes its samples back to back. Under `pnpm bench` it runs in
// lockstep: the variants of one comparison are all started, and the parent asks each in turn for one sample at a
// time. This machine's speed wanders by ±30 % over seconds (a shared host), far more than the differences measured
// here; a sample of one variant is then taken within a second of the same sample of the other variants, so each
// ratio is taken between samples that saw the same machine.
//
// The protocol, one JSON line each way per step on stdout, one word per line on stdin:
//   worker → {"ready":true}      warmed up, waiting
//   parent → sample              take one sample
//   worker → {"sample":<value>}  its value
// After the last sample the worker writes its result line as usual and exits.

const readline = require("node:readline");

/**
 * Takes `options.samples` samples with `measureOne` (which returns one sample's value), paced by the parent when
 * `options.lockstep` is set. Returns the values in the order they were taken.
 */
async function takeSamples(options, measureOne) {
  const values = [];
  if (!options.lockstep) {
    for (let sample = 0; sample < options.samples; sample++) values.push(await measureOne());
    return values;
  }
  const input = readline.createInterface({ input: process.stdin });
  const commands = input[Symbol.asyncIterator]();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  try {
    for (let sample = 0; sample < options.samples; sample++) {
      const command = await commands.next();
      if (command.done || command.value !== "sample") {
        throw new Error(`lockstep: expected "sample" from the parent, got ${command.done ? "the end of stdin" : JSON.stringify(command.value)}`);
      }
      const value = await measureOne();
      values.push(value);
      process.stdout.write(`${JSON.stringify({ sample: value })}\n`);
    }
  } finally {
    input.close();
  }
  return values;
}

module.exports = { takeSamples };
