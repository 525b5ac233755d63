// The package entry for workerd (and for bundlers that follow wrangler's module rules): the
// wasm is imported as a compiled module, as workerd requires, and instantiated once.
import wasmModule from "./wasm/durable_core_bg.wasm";
import { installEngine } from "./engine-pool.js";

installEngine(wasmModule);

export * from "./index.js";
