// The part of `cloudflare:test` the WebSocket testing helpers use (merged with the other
// declarations of the module). Only for compiling the package: the test runner supplies it.
declare module "cloudflare:test" {
  export function evictDurableObject(
    stub: DurableObjectStub<never>,
    options?: { webSockets?: "hibernate" | "close" },
  ): Promise<void>;
}
