// The console as a new administrator tries it: choices before a token is made, filters that
// live in the URL, a copy that works without the Clipboard API, confirmations that default to
// Cancel, and a phone layout.
import { APIRequestContext, Page } from "@playwright/test";
import { test, expect, hydrated, confirmWith, ADMIN, signedIn } from "./fixtures";
import { TokensPage } from "./areas/tokens";

/** An administrator's API token, made through "Generate Access Token" with the admin scope. */
async function adminToken(page: Page) {
  await page.goto("/me/tokens");
  await hydrated(page);
  await page.getByRole("button", { name: "Generate Access Token" }).click();
  const form = page.getByRole("region", { name: "Generate access token" });
  await form.getByLabel("Name").fill(`fixtures ${Date.now()}`);
  await form.getByRole("checkbox", { name: "admin" }).check();
  await form.getByRole("button", { name: "Generate", exact: true }).click();
  const section = page.getByRole("region", { name: "New access token" });
  const secret = (await section.getByLabel("Access token").textContent())!.trim();
  return secret;
}

function api(request: APIRequestContext, secret: string) {
  const headers = { Authorization: `Bearer ${secret}` };
  return {
    user: async (username: string, display_name: string) => {
      const response = await request.post("/api/v1/admin/users", {
        headers,
        data: { username, display_name, password: "quartz-lagoon-ember-42", technical: true },
      });
      expect(response.status()).toBe(201);
    },
    token: async (user: string, name: string, days: number) => {
      const day = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
      const response = await request.post("/api/v1/admin/tokens", {
        headers,
        data: { user, name, scopes: ["profile:read"], expires_at: day },
      });
      expect(response.status()).toBe(201);
    },
  };
}

test("Generate Access Token asks for a name, an expiry and scopes, then shows the token once", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  await page.getByRole("button", { name: "Generate Access Token" }).click();
  const form = page.getByRole("region", { name: "Generate access token" });
  // Nothing is made before the choices are confirmed.
  await expect(page.getByRole("region", { name: "New access token" })).toHaveCount(0);
  const expiry = form.getByLabel("Expiration", { exact: true });
  await expect(expiry.locator("option:checked")).toHaveText("90 days (default)");
  await expect(form).toContainText("Create, regenerate and revoke the owner's tokens.");
  await expiry.selectOption("custom");
  const custom = new Date(Date.now() + 12 * 86_400_000).toISOString().slice(0, 10);
  await form.getByLabel("Expiration date").fill(custom);
  const name = `choices ${Date.now()}`;
  await form.getByLabel("Name").fill(name);
  await form.getByRole("checkbox", { name: "tokens:write" }).check();
  await form.getByRole("checkbox", { name: "tokens:read" }).uncheck();
  await form.getByRole("button", { name: "Generate", exact: true }).click();

  const section = page.getByRole("region", { name: "New access token" });
  const secret = (await section.getByLabel("Access token").textContent())!.trim();
  await expect(form).toHaveCount(0);
  const me = await (await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } })).json();
  expect(me.token.name).toBe(name);
  expect(me.token.expires_at).toBe(custom);
  expect([...me.token.scopes].sort()).toEqual(["profile:read", "tokens:write"]);

  // Revoke on this page is confirmed too, Cancel first.
  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  const confirm = page.getByRole("dialog", { name: "Please confirm" });
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(confirm).toBeHidden();
  await expect(row).toContainText("Effective");
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await confirmWith(page, "Revoke");
  await expect(row).toContainText("Not effective (revoked)");
});

test("the token list: part of a name, status, total, headers that sort, Clear filters, all in the URL", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const suffix = Date.now().toString(36);
  const client = api(request, await adminToken(page));
  await client.user(`svc-${suffix}-billing`, "Billing service");
  await client.user(`ops-${suffix}`, `Svc ${suffix} operator`);
  await client.token(`svc-${suffix}-billing`, `soon-${suffix}`, 3);
  await client.token(`svc-${suffix}-billing`, `later-${suffix}`, 60);
  await client.token(`ops-${suffix}`, `ops-${suffix}-token`, 30);

  await page.goto("/admin/tokens");
  await hydrated(page);
  const filters = page.locator("form.filters");
  // Part of a username, or of a display name, in any case; applied while typing.
  await filters.getByLabel("User").fill(`SVC-${suffix}`);
  await expect(page).toHaveURL(new RegExp(`[?&]user=SVC-${suffix}`));
  await expect(page.getByText("2 tokens", { exact: true })).toBeVisible();
  await filters.getByLabel("User").fill(`svc ${suffix}`);
  await expect(page.getByText("1 token", { exact: true })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: `ops-${suffix}-token` })).toHaveCount(1);
  await filters.getByLabel("User").fill(suffix);
  await expect(page.getByText("3 tokens", { exact: true })).toBeVisible();

  await filters.getByLabel("Status").selectOption("expiring_soon");
  await expect(page).toHaveURL(/[?&]status=expiring_soon/);
  await expect(page.getByText("1 token", { exact: true })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: `soon-${suffix}` })).toContainText("Expires in 3 days");
  await page.reload();
  await hydrated(page);
  await expect(filters.getByLabel("User")).toHaveValue(suffix);
  await expect(filters.getByLabel("Status")).toHaveValue("expiring_soon");
  await expect(page.getByText("1 token", { exact: true })).toBeVisible();

  // Column headers sort; the order is announced and kept in the URL.
  await filters.getByLabel("Status").selectOption("");
  await page.getByRole("columnheader", { name: "Expires" }).getByRole("button").click();
  await expect(page).toHaveURL(/[?&]sort=expires/);
  await expect(page.getByRole("columnheader", { name: "Expires" })).toHaveAttribute("aria-sort", "ascending");
  await expect(page.locator("tbody tr").first()).toContainText(`soon-${suffix}`);
  await page.getByRole("columnheader", { name: "Created" }).getByRole("button").click();
  await expect(page.getByRole("columnheader", { name: "Created" })).toHaveAttribute("aria-sort", "descending");
  await expect(page.locator("tbody tr").first()).toContainText(`ops-${suffix}-token`);
  await page.goBack();
  await expect(page.getByRole("columnheader", { name: "Expires" })).toHaveAttribute("aria-sort", "ascending");

  // Nothing matches: the way out is offered.
  await filters.getByLabel("Search").fill("no token is called this");
  await expect(page.getByText("No tokens match these filters.")).toBeVisible();
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(page).toHaveURL("/admin/tokens");
  await expect(filters.getByLabel("User")).toHaveValue("");
  await expect(filters.getByLabel("Search")).toHaveValue("");
});

test.describe("without the Clipboard API", () => {
  test.beforeEach(async ({ page }) => {
    // As on plain HTTP from another host: navigator.clipboard is undefined.
    await page.addInitScript(() => {
      delete (Navigator.prototype as { clipboard?: unknown }).clipboard;
    });
  });

  test("Copy selects the token and says how to copy it, and closing asks first", async ({ page }) => {
    const tokens = new TokensPage(page);
    await tokens.open();
    expect(await page.evaluate(() => typeof navigator.clipboard)).toBe("undefined");
    const create = await tokens.createDialog();
    await create.getByLabel("User").fill(ADMIN.username);
    await create.getByLabel("Name").fill(`no-clipboard-${Date.now()}`);
    await create.getByRole("button", { name: "Create" }).click();
    const created = page.getByRole("dialog", { name: "Token created" });
    await created.getByRole("button", { name: "Copy to clipboard" }).click();
    await expect(created.getByRole("status")).toContainText("Press Ctrl+C to copy");
    await expect(created).toBeVisible();
    const secret = (await created.getByLabel("New token").textContent())!.trim();
    expect(secret).toMatch(/^tsr_[0-9A-Za-z]{38}$/);
    expect(await page.evaluate(() => window.getSelection()?.toString().trim())).toBe(secret);

    await page.keyboard.press("Escape");
    await expect(created.getByRole("alert")).toContainText("You have not copied the token. Close anyway?");
    // The browser allows a page to refuse one cancel in a row; a second Escape must not
    // slip past the warning.
    await page.keyboard.press("Escape");
    await page.keyboard.press("Escape");
    await expect(created).toBeVisible();
    await expect(created.getByRole("alert")).toBeVisible();
    await created.getByRole("button", { name: "Keep open" }).click();
    await expect(created).toBeVisible();
    await created.getByRole("button", { name: "Close", exact: true }).click();
    await created.getByRole("button", { name: "Close anyway" }).click();
    await expect(created).toBeHidden();
    expect(await page.content()).not.toContain(secret);
  });
});

test("switching an endpoint token off or deactivating it is confirmed, with Cancel focused", async ({ page }) => {
  await signedIn(page, ADMIN, "/admin/endpoint-tokens");
  const name = `confirm-${Date.now()}`;
  await page.getByRole("button", { name: "+ Add" }).click();
  const dialog = page.getByRole("dialog", { name: "Token settings" });
  await dialog.getByLabel("Name").fill(name);
  await expect(dialog.getByLabel("Token", { exact: true })).toHaveValue(/^[0-9A-Za-z]{64}$/);
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();

  const enabled = page.getByRole("switch", { name: `Enabled ${name}` });
  await enabled.click();
  const confirm = page.getByRole("dialog", { name: "Please confirm" });
  await expect(confirm).toContainText("refused at once");
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  await expect(enabled).toBeChecked();
  await enabled.click();
  await confirmWith(page, "Disable");
  await expect(page.getByRole("status").filter({ hasText: `${name} disabled.` })).toBeVisible();
  await expect(enabled).not.toBeChecked();

  await page.getByRole("button", { name: `Deactivate token ${name}` }).click();
  await confirmWith(page, "Deactivate");
  await expect(page.getByRole("status").filter({ hasText: `${name} deactivated.` })).toBeVisible();
  await expect(page.getByRole("switch", { name: `Enabled ${name}` })).toHaveCount(0);
});

test("on a phone: a menu button, filters behind a button, and the first token above the fold", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  await adminToken(page);
  await page.goto("/admin/tokens");
  await hydrated(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(nav).toBeVisible();
  await nav.getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL("/admin/users");
  await expect(nav).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await nav.getByRole("link", { name: "Tokens", exact: true }).click();
  await expect(page).toHaveURL("/admin/tokens");

  const filters = page.locator("form.filters");
  await expect(filters).toBeHidden();
  const first = page.locator("tbody tr").first();
  await expect(first).toBeVisible();
  const box = (await first.boundingBox())!;
  expect(box.y, "the first token starts above the fold").toBeLessThan(812 - 100);
  // Each row is a card of labelled values, not a table wider than the screen.
  expect(box.width).toBeLessThanOrEqual(375);
  await expect(first.locator("td[data-label=Name]")).toBeVisible();
  await page.getByRole("button", { name: "Filters" }).click();
  await expect(filters).toBeVisible();
  await expect(filters.getByLabel("Status")).toBeVisible();
});

test("tabs, the audit filters, the user search and Show inactive survive a reload and Back", async ({ page }) => {
  await signedIn(page, ADMIN, "/admin/users/1");
  await page.getByRole("tab", { name: "Access Tokens" }).click();
  await expect(page).toHaveURL("/admin/users/1?tab=tokens");
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("tab", { name: "Access Tokens" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("tabpanel", { name: "Access Tokens" })).toBeVisible();
  await page.getByRole("tab", { name: "General" }).click();
  await expect(page).toHaveURL("/admin/users/1");
  await page.goBack();
  await expect(page.getByRole("tab", { name: "Access Tokens" })).toHaveAttribute("aria-selected", "true");

  await page.goto("/admin/users");
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search" }).fill("adm");
  await expect(page).toHaveURL("/admin/users?q=adm");
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("searchbox", { name: "Search" })).toHaveValue("adm");
  await expect(page.getByRole("link", { name: "admin", exact: true })).toBeVisible();

  await page.goto("/admin/audit");
  await hydrated(page);
  await page.getByLabel("Action").fill("token.");
  await expect(page).toHaveURL("/admin/audit?action=token.");
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Action")).toHaveValue("token.");

  await page.goto("/admin/endpoint-tokens");
  await hydrated(page);
  await page.getByRole("switch", { name: "Show inactive" }).check();
  await expect(page).toHaveURL("/admin/endpoint-tokens?inactive=shown");
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("switch", { name: "Show inactive" })).toBeChecked();
  await page.goBack();
  await expect(page.getByRole("switch", { name: "Show inactive" })).not.toBeChecked();
});

test("a token's page shows every field and regenerates, revokes and deletes with confirmation", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const section = await tokens.generate(page, `page-${Date.now()}`);
  const old = (await section.getByLabel("Access token").textContent())!.trim();
  await page.goto("/admin/tokens");
  await hydrated(page);
  const name = (await page.locator("tbody tr").first().locator("td[data-label=Name]").textContent())!.trim();
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/tokens\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  const details = page.getByRole("region", { name: "Token details" });
  for (const field of ["Number", "Owner", "Issuer", "Scopes", "Created", "Last IPs", "Expires"]) {
    await expect(details.getByText(field, { exact: true })).toBeVisible();
  }
  await expect(details).toContainText("profile:read");

  await page.getByRole("button", { name: `Regenerate ${name}` }).click();
  await confirmWith(page, "Regenerate");
  const fresh = page.getByRole("region", { name: "New secret" });
  const secret = (await fresh.getByLabel("New secret").textContent())!.trim();
  expect(secret).toMatch(/^tsr_/);
  expect(secret).not.toBe(old);
  expect((await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${old}` } })).status()).toBe(401);
  expect((await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } })).status()).toBe(200);
  await fresh.getByRole("button", { name: "Done: hide the secret" }).click();
  await fresh.getByRole("button", { name: "Close anyway" }).click();
  await expect(fresh).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  await page.getByRole("button", { name: `Revoke ${name}` }).click();
  await confirmWith(page, "Revoke");
  await expect(details).toContainText("Not effective (revoked)");
  await page.getByRole("button", { name: `Delete ${name}` }).click();
  await confirmWith(page, "Delete");
  await expect(page).toHaveURL("/admin/tokens");
});

test("the audit log reads in words, links targets and shows the JSON on demand", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const name = `audited-${Date.now()}`;
  await tokens.generate(page, name);
  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await confirmWith(page, "Revoke");
  await expect(row).toContainText("Not effective (revoked)");

  await page.goto("/admin/audit?action=token.revoke");
  await hydrated(page);
  await expect(page.locator("tbody tr").first().locator("td[data-label=Action]")).toContainText("Token revoked");
  await page.goto("/admin/audit?action=token.create");
  await hydrated(page);
  const first = page.locator("tbody tr").first();
  await expect(first.locator("td[data-label=Action]")).toContainText("Token created");
  await expect(first.locator("td[data-label=IP]")).toHaveText("127.0.0.1");
  const target = first.locator("td[data-label=Target]").getByRole("link");
  await expect(target).toHaveAttribute("href", /^\/admin\/tokens\/\d+$/);
  await expect(first.locator("pre.json")).toBeHidden();
  await first.getByText("JSON", { exact: true }).click();
  await expect(first.locator("pre.json")).toBeVisible();
  // One line per event at 1280 px: the table is no wider than the page.
  const width = await page.locator("table.audit").evaluate((t) => t.getBoundingClientRect().width);
  expect(width).toBeLessThanOrEqual(1280);
  await target.click();
  await expect(page).toHaveURL(/\/admin\/tokens\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
});

test("the home page is a dashboard: tokens by status, what expires this week, refusals today, recent events", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const suffix = Date.now().toString(36);
  const secret = await adminToken(page);
  const client = api(request, secret);
  await client.user(`dash-${suffix}`, "Dashboard service");
  await client.token(`dash-${suffix}`, `dash-soon-${suffix}`, 2);
  const headers = { Authorization: `Bearer ${secret}` };
  const endpoint = await request.post("/api/v1/admin/endpoints", {
    headers,
    data: { name: `Guarded ${suffix}`, path: `guarded-${suffix}`, auth_type: "token" },
  });
  expect(endpoint.status()).toBe(201);
  expect((await request.post(`/api/v1/endpoints/guarded-${suffix}/records`, { data: {} })).status()).toBe(401);

  await page.goto("/");
  await hydrated(page);
  const status = page.getByRole("region", { name: "Tokens by status" });
  const soon = status.getByRole("link", { name: /Expiring soon/ });
  await expect(soon).toHaveAttribute("href", "/admin/tokens?status=expiring_soon");
  expect(Number((await soon.locator(".count").textContent())!.trim())).toBeGreaterThanOrEqual(1);
  await expect(page.getByRole("region", { name: "Expiring in the next 7 days" })).toContainText(`dash-soon-${suffix}`);
  await expect(page.getByRole("region", { name: "Recent audit events" })).toContainText("Token created");
  // Refused calls are logged in batches: reload until the refusal is counted.
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("region", { name: "Endpoints with refused calls today" }))
      .toContainText(`Guarded ${suffix} — 1 refused`, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await soon.click();
  await expect(page).toHaveURL("/admin/tokens?status=expiring_soon");
  await expect(page.getByRole("row").filter({ hasText: `dash-soon-${suffix}` })).toHaveCount(1);
});

// Each list, the server function that fills it, and what it says while it waits.
const SLOW_LISTS = [
  { link: "Tokens", sfn: "list_tokens", loading: "Loading tokens…" },
  { link: "Users", sfn: "list_users", loading: "Loading users…" },
  { link: "Endpoints", sfn: "list_endpoints", loading: "Loading endpoints…" },
  { link: "Endpoint tokens", sfn: "list_endpoint_tokens", loading: "Loading endpoint tokens…" },
  { link: "Audit log", sfn: "list_audit", loading: "Loading events…" },
];

test("on a slow server, moving to a list shows that it is loading", async ({ page }) => {
  await signedIn(page, ADMIN, "/admin/settings");
  for (const { link, sfn, loading } of SLOW_LISTS) {
    // The server answers the list a second late, as an overloaded one would.
    const slow = `**/sfn/${sfn}*`;
    await page.route(slow, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByText(loading), link).toBeVisible();
    // Then the list (or, on a new database, its empty state) replaces it.
    await expect(page.locator("main").getByText(loading), link).toHaveCount(0, { timeout: 10_000 });
    await expect(page.locator("main table, main p.empty").first(), link).toBeVisible();
    await page.unroute(slow);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Settings", level: 1 })).toBeVisible();
  }
});
