// Vitest inside workerd (@cloudflare/vitest-plugin): the suites in ts-tests/ run against the
// built package (the test build in target/pkg-test, which adds the trap export), exactly as a
// user's Worker imports it.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// DC_PKG (see scripts/build.sh) points at another build of the package.
const pkg = `${process.env.DC_PKG ?? fileURLToPath(new URL("./target/pkg-test", import.meta.url))}/dist/`;

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./ts-tests/fixtures/wrangler.jsonc" } })],
  // The scheduler's model-based test: MODEL_SEQUENCES sequences (npm run soak sets thousands),
  // or the one sequence MODEL_SEED replays.
  define: {
    __MODEL_SEQUENCES__: JSON.stringify(process.env.MODEL_SEQUENCES ?? "200"),
    __MODEL_SEED__: JSON.stringify(process.env.MODEL_SEED ?? ""),
  },
  resolve: {
    alias: [
      { find: /^durable-core\/testing$/, replacement: `${pkg}testing.js` },
      { find: /^durable-core\/test-wasm$/, replacement: `${pkg}wasm/durable_core.js` },
      { find: /^durable-core\/test-zones$/, replacement: `${pkg}zones.js` },
      { find: /^durable-core\/test-store-keys$/, replacement: `${pkg}store-keys.js` },
      { find: /^durable-core$/, replacement: `${pkg}workerd.js` },
    ],
  },
  test: {
    include: ["ts-tests/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
