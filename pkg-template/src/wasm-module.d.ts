// Wrangler's default module rules turn `import x from "./file.wasm"` into a compiled module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
