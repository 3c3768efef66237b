import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// One fresh SQLite database per run; workers inherit the variable from the main process.
process.env.E2E_DB_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "tessera-e2e-"));
const dbUrl = `sqlite://${process.env.E2E_DB_DIR}/tessera.db?mode=rwc`;
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;
const repo = path.resolve(__dirname, "..");
const server = process.env.TESSERA_BIN ?? path.join(repo, "target/debug/tessera");

export default defineConfig({
  testDir: "./tests",
  forbidOnly: !!process.env.CI,
  retries: 0,
  // One worker: the settings spec switches the API off for everyone while it runs.
  workers: 1,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  projects: [
    // Each role signs in through the form once (tests/auth.setup.ts).
    { name: "sign-in", testMatch: /auth\.setup\.ts/ },
    { name: "console", dependencies: ["sign-in"], testIgnore: /sessions\.spec\.ts/ },
    // Last: these end the stored sessions' siblings (password change, sign out others).
    { name: "sessions", dependencies: ["console"], testMatch: /sessions\.spec\.ts/ },
  ],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    // The users the tests sign in as are made with the CLI before the server starts.
    command: [
      `"${server}" migrate`,
      `printf '%s' "$E2E_USER_PASSWORD" | "${server}" user create --username viewer`,
      `exec "${server}" serve`,
    ].join(" && "),
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DATABASE_URL: dbUrl,
      TESSERA_BOOTSTRAP_ADMIN_PASSWORD: "granite-meadow-lantern-77",
      E2E_USER_PASSWORD: "copper-violet-harbour-31",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(repo, "target/site"),
      RUST_LOG: "warn",
      // The webhooks spec's receiver listens on loopback.
      TESSERA_WEBHOOK_ALLOW_PRIVATE: "true",
    },
  },
});
