// The Worker's bindings and exports, for `env` and `exports` from "cloudflare:workers" in tests.
declare namespace Cloudflare {
  type RoomsEnv = import("./src/index.js").Env;
  interface Env extends RoomsEnv {}
  interface GlobalProps {
    mainModule: typeof import("./src/index.js");
    durableNamespaces: "Room";
  }
}
