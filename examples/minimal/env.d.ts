declare module "cloudflare:workers" {
  interface ProvidedEnv extends import("./src/index.js").Env {}
}
