// The part of `cloudflare:test` (provided by @cloudflare/vitest-plugin inside workerd) that the
// testing helpers use. Only for compiling the package: the test runner supplies the module.
declare module "cloudflare:test" {
  export function runInDurableObject<O, R>(
    stub: DurableObjectStub<never>,
    callback: (instance: O, state: DurableObjectState) => R | Promise<R>,
  ): Promise<R>;
}
