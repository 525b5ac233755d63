// The second checker of a `durable-core check` run (see `review` in ./check.mjs): a worker
// thread with its own instance of the checker's compiled wasm (the module is shared, so nothing
// is compiled twice). It reads and checks the files the main thread names, one message each,
// answers each with the file's imports, and at the end hands over its files' records, which the
// main thread merges in the order the files were queued.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { workerData } from "node:worker_threads";

const { module, rules, configPath, configText, root, port, signal } = workerData;

/** Wakes the main thread, which may be waiting in `Atomics.wait` for an answer. */
function answer(message) {
  port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

try {
  const bindings = await import("./wasm/durable_core_check.js");
  bindings.initSync({ module });
  const checker = new bindings.Checker(rules);
  checker.setConfig(configPath, configText);
  port.on("message", (message) => {
    try {
      if (message.finish) {
        answer({ records: checker.exportRecords() });
        port.close();
        return;
      }
      const imports = checker.addFile(message.path, readFileSync(join(root, message.path)));
      answer({ index: message.index, imports });
    } catch (error) {
      answer({ error: error?.stack ?? String(error) });
      port.close();
    }
  });
} catch (error) {
  answer({ error: error?.stack ?? String(error) });
  port.close();
}
