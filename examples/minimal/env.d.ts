declare module "cloudflare:workers" {
  type MinimalEnv = import("./src/index.js").Env;
  interface ProvidedEnv extends MinimalEnv {}
}
