// The second checker of a `durable-core check` run (see `review` in ./check.mjs): a worker
// thread with its own instance of the checker's compiled wasm (the module is shared, so nothing
// is compiled twice). It starts before the main thread sets V8's flags and compiles the wasm:
// once its modules are loaded it says so (`signal[1]`), then its first message brings the
// compiled module and the configuration. It checks the files the main thread names, one message
// each (with their bytes when the main thread read them already), answers each with the file's
// imports, and at the end hands over its files' records, which the main thread merges in the
// order the files were queued.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { workerData } from "node:worker_threads";
import { RecoveringChecker } from "./recovering-checker.mjs";

const { root, port, signal } = workerData;

/** Wakes the main thread, which may be waiting in `Atomics.waitAsync` for an answer. */
function answer(message) {
  port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

/** An error as the main thread rethrows it: what it prints is what this thread would have. */
function failed(error) {
  answer({ error: { name: error?.name ?? "Error", message: error?.message ?? String(error), stack: error?.stack ?? String(error), code: error?.code } });
  port.close();
}

try {
  const bindings = await import("./wasm/durable_core_check.js");
  let checker;
  port.on("message", (message) => {
    try {
      if (checker === undefined) {
        bindings.initSync({ module: message.module });
        checker = new RecoveringChecker(bindings, message.rules, (path) => readFileSync(join(root, path)));
        checker.setConfig(message.configPath, message.configText);
        return;
      }
      if (message.finish) {
        answer({ records: checker.exportRecords() });
        port.close();
        return;
      }
      const imports = checker.addFile(message.path, message.bytes ?? readFileSync(join(root, message.path)));
      answer({ index: message.index, imports });
    } catch (error) {
      failed(error);
    }
  });
  // Started: the main thread may now set V8's flags (nothing of this thread's start is left).
  Atomics.store(signal, 1, 1);
  Atomics.notify(signal, 1);
} catch (error) {
  failed(error);
}
