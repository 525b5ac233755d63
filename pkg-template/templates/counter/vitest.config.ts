import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The tests run inside workerd with the Worker of wrangler.jsonc: `exports.default` is its
// fetch handler and `env.COUNTER` its Durable Object namespace.
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.jsonc" } })],
});
