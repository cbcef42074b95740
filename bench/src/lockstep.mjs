// Worker processes for the bench: one run start to finish (runWorker), or the variants of one comparison side by
// side in lockstep (runLockstep; the worker side is src/samples.cjs).

import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Runs `worker` (a file of src/) with `options` to its end; resolves with its last stdout line, parsed. */
export function runWorker(worker, options, nodeFlags = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, path.join(benchDir, "src", worker), JSON.stringify(options)], {
      cwd: benchDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const lastLine = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !lastLine.startsWith("{")) {
        reject(new Error(`${worker} ${JSON.stringify(options)} exited with ${code}:\n${stderr}`));
        return;
      }
      resolve(JSON.parse(lastLine));
    });
  });
}

/**
 * Runs `jobs` (one comparison: `{ worker, key, options, env? }` each) in lockstep: every worker is started and warmed
 * up, one at a time so that no warm-up competes with another, in a shuffled order; then `warmRounds` warm rounds (at least, and more until
 * `settleMs` have passed since the first: a tail sampler reaches its steady state only once its decision wait has
 * gone by), whose samples are discarded; then each round asks every worker for one sample in turn. Resolves with the
 * workers' results, in the order of `jobs`; their sample arrays are in round order.
 */
export async function runLockstep(jobs, rep, { warmRounds = 1, settleMs = 0 } = {}) {
  const workers = new Array(jobs.length);
  try {
    // Started in an order drawn afresh every repetition: a worker started first waits idle while the others warm up,
    // and whatever that leaves behind (a heap shrunk while idle, code compiled on a quiet core) must not always fall
    // to the same line, or an A/A twin comes out a few percent apart from its line in every repetition.
    for (const index of shuffled([...jobs.keys()], rep * 1000 - 1)) {
      const job = jobs[index];
      const worker = new LockstepWorker(job.worker, { ...job.options, lockstep: true }, job.env);
      workers[index] = worker;
      const line = await worker.nextLine();
      if (line.ready !== true) throw new Error(`${job.worker} ${job.key}: expected ready, got ${JSON.stringify(line)}`);
    }
    const rounds = jobs[0].options.samples;
    if (jobs.some((job) => job.options.samples !== rounds)) throw new Error("a lockstep comparison needs one sample count");
    const settleUntil = Date.now() + settleMs;
    let round = 0;
    const seed = (round) => rep * 1000 + round;
    for (; round < warmRounds || Date.now() < settleUntil; round++) await runRound(workers, seed(round), "warm");
    for (let measured = 0; measured < rounds; measured++, round++) await runRound(workers, seed(round), "sample");
    return await Promise.all(workers.map((worker) => worker.result()));
  } finally {
    for (const worker of workers) worker?.stop();
  }
}

/**
 * One sample (or warm-up sample) of every worker in turn, in an order shuffled afresh every round (seeded by the
 * repetition and the round, so a run repeats): no worker always comes first, and none always follows the same one,
 * whose background work (a collection, an export) may still be running on the other core.
 */
async function runRound(workers, seed, command) {
  for (const worker of shuffled(workers, seed)) {
    worker.send(command);
    const line = await worker.nextLine();
    if (typeof line[command] !== "number") throw new Error(`${worker.label}: expected ${command}, got ${JSON.stringify(line)}`);
  }
}

/** A copy of `items` in a random order drawn from `seed` (Fisher–Yates on a small linear congruential generator). */
function shuffled(items, seed) {
  const order = [...items];
  let state = (seed * 2654435761 + 1013904223) >>> 0;
  for (let index = order.length - 1; index > 0; index--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const other = (state >>> 16) % (index + 1);
    [order[index], order[other]] = [order[other], order[index]];
  }
  return order;
}

/** One worker process run in lockstep: JSON lines out, one command per line in. */
class LockstepWorker {
  constructor(worker, options, env) {
    this.label = `${worker} ${JSON.stringify(options)}`;
    this.child = spawn(process.execPath, [path.join(benchDir, "src", worker), JSON.stringify(options)], {
      cwd: benchDir,
      stdio: ["pipe", "pipe", "pipe"],
      ...(env && { env }),
    });
    this.lines = [];
    this.waiting = undefined;
    this.stderr = "";
    this.exit = new Promise((resolve) => this.child.on("close", resolve));
    let buffered = "";
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        this.deliver(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
    this.child.stderr.on("data", (chunk) => (this.stderr += chunk));
    this.child.on("error", (error) => this.fail(error));
    this.exit.then((code) =>
      this.fail(new Error(code === 0 ? `${this.label} ended before the line expected` : `${this.label} exited with ${code}:\n${this.stderr}`)),
    );
  }

  deliver(line) {
    if (!line.startsWith("{")) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve(JSON.parse(line));
    } else {
      this.lines.push(JSON.parse(line));
    }
  }

  fail(error) {
    this.failure ??= error;
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(error);
    }
  }

  nextLine() {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  send(command) {
    this.child.stdin.write(`${command}\n`);
  }

  /** The worker's result line, once it has exited cleanly. */
  async result() {
    const line = await this.nextLine();
    const code = await this.exit;
    if (code !== 0) throw new Error(`${this.label} exited with ${code}:\n${this.stderr}`);
    return line;
  }

  stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}
