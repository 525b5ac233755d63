import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      // A shorter message lifetime than wrangler.jsonc's day, to show it is configuration.
      miniflare: { bindings: { MESSAGE_TTL_SECONDS: "60" } },
    }),
  ],
});
