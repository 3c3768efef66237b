// First visits in Chromium: the bytes every response of the visit moved over the network
// (headers included, as Chromium counts them) and the time from navigation start to the
// hydration marker (`main[data-hydrated]`, set once the page is hydrated, including the piece
// of WebAssembly its route was split into: `app::hydrate`).
// Each visit starts with an empty cache; a second visit of /login shows what the cache saves.
// Usage: node first_load.mjs BASE_URL PASSWORD  (profiles "loopback" and "mobile": 1.6 Mbps
// down, 750 kbps up, 150 ms round trip, Lighthouse's mobile network, by Chromium's emulation).
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../end2end/package.json"));
const { chromium } = require("@playwright/test");

const [base, password] = process.argv.slice(2);
const allProfiles = {
  loopback: null,
  mobile: { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) },
};
// PROFILES=loopback limits the run (the CI smoke does, on a debug bundle).
const chosen = (process.env.PROFILES ?? "loopback,mobile").split(",");
const profiles = Object.fromEntries(Object.entries(allProfiles).filter(([name]) => chosen.includes(name)));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// The moment the marker appears, in the page's own clock (0 = navigation start).
const marker = () => {
  const seen = () => {
    if (document.querySelector("main[data-hydrated=true]") && window.__hydratedAt === undefined) {
      window.__hydratedAt = performance.now();
    }
  };
  new MutationObserver(seen).observe(document, { subtree: true, attributes: true, childList: true });
};

async function visit(context, url, conditions) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  if (conditions) await cdp.send("Network.emulateNetworkConditions", conditions);
  const responses = new Map();
  cdp.on("Network.responseReceived", (e) => responses.set(e.requestId, { url: e.response.url, status: e.response.status, bytes: 0 }));
  cdp.on("Network.loadingFinished", (e) => {
    const r = responses.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  await page.addInitScript(marker);
  await page.goto(url);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 120_000 });
  const interactive = await page.evaluate(() => window.__hydratedAt);
  // Everything the page asked for has arrived once the network is quiet.
  await page.waitForLoadState("networkidle");
  await page.close();
  const list = [...responses.values()];
  return { interactive, bytes: list.reduce((sum, r) => sum + r.bytes, 0), responses: list };
}

async function signedIn() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.waitForSelector("main[data-hydrated=true]");
  await page.getByLabel("Username").fill("admin");
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  const cookies = await context.cookies();
  await context.close();
  return cookies;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const cookies = await signedIn();
for (const [profile, conditions] of Object.entries(profiles)) {
  for (const page of ["/login", "/admin/tokens"]) {
    const context = await browser.newContext();
    if (page !== "/login") await context.addCookies(cookies);
    const first = await visit(context, `${base}${page}`, conditions);
    const again = await visit(context, `${base}${page}`, conditions);
    await context.close();
    console.log(`${profile.padEnd(8)} ${page.padEnd(13)} first visit ${kb(first.bytes).padStart(9)} in ${String(first.responses.length).padStart(2)} responses, interactive after ${first.interactive.toFixed(0).padStart(5)} ms;  next visit ${kb(again.bytes).padStart(8)}, interactive after ${again.interactive.toFixed(0).padStart(5)} ms`);
    if (process.env.VERBOSE) {
      for (const r of first.responses) console.log(`    ${String(r.status)} ${kb(r.bytes).padStart(9)} ${r.url}`);
    }
  }
}
await browser.close();
