import { test, expect, hydrated, confirmWith, elsewhere, ADMIN, VIEWER } from "./fixtures";
import { SettingsPage } from "./areas/settings";
import { TokensPage } from "./areas/tokens";
import { UsersPage } from "./areas/users";

// Kill switches: every token of a user from their page, every token issued before a moment
// from Settings. Both confirmed (Cancel focused), both say how many they revoked.

test("Revoke all tokens on a user's page stops every token of theirs", async ({ page, request }) => {
  const users = new UsersPage(page);
  await users.open();
  const username = `kill-${Date.now()}`;
  await users.create({ username, password: "orchid-tunnel-basalt-58", technical: true });

  const panel = await users.tab("Access Tokens");
  // Nothing to revoke yet: no button.
  await expect(panel.getByRole("button", { name: "Revoke all tokens" })).toHaveCount(0);
  const secrets: string[] = [];
  for (const name of ["first", "second"]) {
    const section = await new TokensPage(page).generate(panel, name);
    secrets.push((await section.getByLabel("Access token").textContent())!.trim());
    await section.getByRole("button", { name: "Done: hide the token" }).click();
    await section.getByRole("button", { name: "Close anyway" }).click();
    await expect(section).toBeHidden();
  }
  for (const secret of secrets) {
    const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
    expect(me.status()).toBe(200);
  }

  await panel.getByRole("button", { name: "Revoke all tokens" }).click();
  const confirm = page.getByRole("dialog", { name: "Please confirm" });
  await expect(confirm).toContainText("Revoke all 2 tokens of this user?");
  await expect(confirm).toContainText("refused at once");
  await confirmWith(page, "Revoke all");
  await expect(page.getByRole("status").filter({ hasText: "2 tokens revoked." })).toBeVisible();
  await expect(panel.locator("tbody tr").filter({ hasText: "Revoked" })).toHaveCount(2);
  await expect(panel.getByRole("button", { name: "Revoke all tokens" })).toHaveCount(0);
  for (const secret of secrets) {
    const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
    expect(me.status()).toBe(401);
  }

  // The audit log names it in words, linked to the user.
  await page.goto(`/admin/audit?action=token.revoke_all`);
  await hydrated(page);
  const row = page.locator("tbody tr").filter({ hasText: username });
  await expect(row).toContainText("All tokens of a user revoked");
  await expect(row).toContainText("revoked 2");
  await expect(row.getByRole("link", { name: username })).toBeVisible();
});

test("Settings revokes every token issued before a moment, refusing one in the future", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const section = await tokens.generate(page, `before-${Date.now()}`);
  const secret = (await section.getByLabel("Access token").textContent())!.trim();
  const call = () => request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect((await call()).status()).toBe(200);

  await page.goto("/admin/settings");
  await hydrated(page);
  const form = page.getByRole("form", { name: "Revoke tokens issued before…" });
  const field = form.getByLabel("Issued before");
  const submit = form.getByRole("button", { name: "Revoke tokens issued before…" });

  // A moment long past: nothing was issued then.
  await field.fill("2001-02-03T04:05:06");
  await submit.click();
  await expect(page.getByRole("dialog", { name: "Please confirm" })).toContainText("issued before 2001-02-03 04:05:06");
  await confirmWith(page, "Revoke tokens");
  await expect(page.getByRole("status").filter({ hasText: "0 tokens revoked." })).toBeVisible();
  expect((await call()).status()).toBe(200);

  // Tomorrow is refused by the server, by name.
  const tomorrow = new Date(Date.now() + 86_400_000);
  const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  await field.fill(local);
  await submit.click();
  await confirmWith(page, "Revoke tokens");
  await expect(form.getByRole("alert")).toContainText("in the future");
  expect((await call()).status()).toBe(200);

  // Cancel changes nothing; empty means now, which takes the token just made.
  await field.fill("");
  await submit.click();
  const confirm = page.getByRole("dialog", { name: "Please confirm" });
  await expect(confirm).toContainText("issued before now");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  expect((await call()).status()).toBe(200);
  await submit.click();
  await confirmWith(page, "Revoke tokens");
  await expect(page.getByRole("status").filter({ hasText: /\d+ tokens? revoked\./ })).toBeVisible();
  expect((await call()).status()).toBe(401);
});

/** Another browser, signed in as `user`: its own cookies, optionally its own User-Agent. */
test("an administrator signs out a user's sessions from the user page", async ({ page, browser }) => {
  const users = new UsersPage(page);
  await users.open();
  const username = `sess-${Date.now()}`;
  const password = "orchid-tunnel-basalt-58";
  const userPage = await users.create({ username, password });

  const theirs = await elsewhere(browser, { username, password });

  await page.goto(`${userPage}?tab=sessions`);
  await hydrated(page);
  const panel = page.getByRole("tabpanel", { name: "Sessions" });
  await expect(panel.locator("tbody tr")).toHaveCount(1);
  await expect(panel).not.toContainText("This session");
  await panel.getByRole("button", { name: "Sign out all sessions" }).click();
  await expect(page.getByRole("dialog", { name: "Please confirm" })).toContainText("Sign out 1 session of this user?");
  await confirmWith(page, "Sign out");
  await expect(panel.getByText("No one is signed in as this user.")).toBeVisible();
  await theirs.page.goto("/me/tokens");
  await expect(theirs.page).toHaveURL(/\/login/);
  await theirs.context.close();
});

test("the idle policy is set in Settings, checked by field, and offered as a token filter", async ({ page }) => {
  const settings = new SettingsPage(page);
  await settings.open();
  const flag = settings.field("Flag tokens unused for (days, 0 for never)");
  const revokeLabel = "Revoke tokens unused for (days, 0 for never)";
  const revoke = settings.field(revokeLabel);
  await expect(flag).toHaveValue("90");
  await expect(revoke).toHaveValue("0");
  // Revoking sooner than flagging is refused next to the field.
  await revoke.fill("30");
  await settings.save();
  await expect(settings.fieldError(revokeLabel)).toContainText("no sooner than they are flagged idle");
  // Starting to revoke is asked first, with how many tokens it would take now.
  await revoke.fill("180");
  await settings.save();
  await expect(page.getByRole("dialog", { name: "Please confirm" })).toContainText(/Revoke tokens unused for 180 days\? \d+ tokens? would be revoked within the hour/);
  await confirmWith(page, "Save and revoke");
  await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  await settings.reload();
  await expect(revoke).toHaveValue("180");
  await revoke.fill("0");
  await settings.saved();

  // Every token here was made today: none is idle, and the empty list offers to clear.
  await page.goto("/admin/tokens?status=idle");
  await hydrated(page);
  await expect(page.getByRole("combobox", { name: "Status" })).toHaveValue("idle");
  await expect(page.getByRole("button", { name: "Clear filters" })).toBeVisible();
});

test("a token's page sets its IP allowlist: calls from elsewhere are refused, bad ranges named", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const name = `allow-${Date.now()}`;
  const section = await tokens.generate(page, name);
  const secret = (await section.getByLabel("Access token").textContent())!.trim();
  const me = () => request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect((await me()).status()).toBe(200);
  await section.getByRole("button", { name: "Done: hide the token" }).click();
  await section.getByRole("button", { name: "Close anyway" }).click();
  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await hydrated(page);

  const form = page.getByRole("form", { name: "IP allowlist" });
  const field = form.getByLabel("Allowed addresses");
  await expect(form.getByLabel("From other addresses")).toHaveValue("enforce");
  await field.fill("10.0.0.0/33");
  await form.getByRole("button", { name: "Save allowlist" }).click();
  await expect(form.getByRole("alert")).toContainText("10.0.0.0/33");
  expect((await me()).status()).toBe(200);

  await field.fill("10.1.2.3/8\n2001:db8::/32");
  await form.getByRole("button", { name: "Save allowlist" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Allowlist of AT-\d+ saved\./ })).toBeVisible();
  await expect(page.getByRole("region", { name: "Token details" })).toContainText("10.0.0.0/8, 2001:db8::/32 (others refused)");
  await expect(form.getByLabel("Allowed addresses")).toHaveValue("10.0.0.0/8\n2001:db8::/32");
  const refused = await me();
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.code).toBe("ip_not_allowed");

  // Report only: accepted again, and the page says so.
  await form.getByLabel("From other addresses").selectOption("report");
  await form.getByRole("button", { name: "Save allowlist" }).click();
  await expect(page.getByRole("region", { name: "Token details" })).toContainText("(others reported)");
  expect((await me()).status()).toBe(200);

  // The page's history names each change in words, newest first.
  const history = page.getByRole("region", { name: "Token history" });
  await expect(history.locator("tbody tr").first()).toContainText("Token changed");
  await expect(history.locator("tbody tr").first()).toContainText("ip policy report");
  await expect(history.locator("tbody tr").last()).toContainText("Token created");
});

test("Rotate on a token's page keeps the old secret working for the chosen overlap", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const name = `rotate-${Date.now()}`;
  const section = await tokens.generate(page, name);
  const first = (await section.getByLabel("Access token").textContent())!.trim();
  const status = async (secret: string) =>
    (await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } })).status();
  await section.getByRole("button", { name: "Done: hide the token" }).click();
  await section.getByRole("button", { name: "Close anyway" }).click();
  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await hydrated(page);

  await expect(page.getByRole("region", { name: "Token details" })).toContainText("Used in 30 days");
  const rotate = page.getByRole("form", { name: "Rotate" });
  await rotate.getByLabel("The current secret keeps working for").selectOption("hour");
  await rotate.getByRole("button", { name: "Rotate" }).click();
  await expect(page.getByRole("dialog", { name: "Please confirm" })).toContainText("keeps working for 1 hour");
  await confirmWith(page, "Rotate");
  const fresh = page.getByRole("region", { name: "New secret" });
  const second = (await fresh.getByLabel("New secret").textContent())!.trim();
  expect(second).toMatch(/^tsr_/);
  expect(await status(first)).toBe(200);
  expect(await status(second)).toBe(200);
  await expect(page.getByRole("region", { name: "Token details" })).toContainText("Works until");

  // Regenerate without overlap: both earlier secrets stop at once.
  await fresh.getByRole("button", { name: "Done: hide the secret" }).click();
  await fresh.getByRole("button", { name: "Close anyway" }).click();
  await page.getByRole("button", { name: `Regenerate ${name}` }).click();
  await confirmWith(page, "Regenerate");
  const third = (await page.getByRole("region", { name: "New secret" }).getByLabel("New secret").textContent())!.trim();
  expect(await status(first)).toBe(401);
  expect(await status(second)).toBe(401);
  expect(await status(third)).toBe(200);
  await expect(page.getByRole("region", { name: "Token details" })).toContainText("None working");
});

test("a token's page sets its rate limit: beyond it calls get 429 with the RateLimit headers", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const name = `rate-${Date.now()}`;
  const section = await tokens.generate(page, name);
  const secret = (await section.getByLabel("Access token").textContent())!.trim();
  const me = () => request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  await section.getByRole("button", { name: "Done: hide the token" }).click();
  await section.getByRole("button", { name: "Close anyway" }).click();
  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await hydrated(page);
  const details = page.getByRole("region", { name: "Token details" });
  await expect(details).toContainText("Rate limit");

  const form = page.getByRole("form", { name: "Rate limit" });
  const field = form.getByLabel("Requests a minute");
  await field.fill("0");
  await form.getByRole("button", { name: "Save rate limit" }).click();
  await expect(form.getByRole("alert")).toContainText("from 1 to 10000000");

  await field.fill("2");
  await form.getByRole("button", { name: "Save rate limit" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Rate limit of AT-\d+ saved\./ })).toBeVisible();
  await expect(details).toContainText("2 requests a minute");
  const first = await me();
  expect(first.status()).toBe(200);
  expect(first.headers()["ratelimit-limit"]).toBe("2");
  expect(first.headers()["ratelimit-remaining"]).toBe("1");
  expect((await me()).status()).toBe(200);
  const refused = await me();
  expect(refused.status()).toBe(429);
  expect((await refused.json()).error.code).toBe("rate_limited");
  expect(Number(refused.headers()["retry-after"])).toBeGreaterThanOrEqual(1);

  // Empty hands the token back to the policy (none by default): no more headers.
  await field.fill("");
  await form.getByRole("button", { name: "Save rate limit" }).click();
  await expect(details).toContainText(/Rate limit\s*None/);
  const free = await me();
  expect(free.status()).toBe(200);
  expect(free.headers()["ratelimit-limit"]).toBeUndefined();

  // The three calls that passed are charted per day once the batched last use is written
  // (every second); the refused one is not a use.
  const usage = page.getByRole("region", { name: "Requests per day" });
  await expect(async () => {
    await page.reload();
    await expect(usage).toContainText("3 requests in 30 days", { timeout: 1000 });
  }).toPass();
  await hydrated(page);
  await expect(usage.getByRole("img", { name: /Requests per day: 3 requests/ })).toBeVisible();
  await usage.getByText("Show as a table").click();
  const today = new Date().toISOString().slice(0, 10);
  await expect(usage.getByRole("table", { name: "Requests per day" }).getByRole("row").nth(1)).toContainText(`${today}3`);
});

test("an administrator imports an existing secret: weak ones are named, a strong one works and is never shown", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const name = `imported-${Date.now()}`;
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(40)), (b) => alphabet[b % alphabet.length]).join("");

  await page.getByRole("button", { name: "+ Token" }).click();
  const create = page.getByRole("dialog", { name: "Create token" });
  await create.getByLabel("User").fill(VIEWER.username);
  await create.getByLabel("Name").fill(name);
  const field = create.getByLabel("Existing secret (optional)");
  await expect(field).toHaveAttribute("type", "password");
  await field.fill("short-and-weak");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(create.getByRole("alert").filter({ hasText: "at least 22 characters" })).toBeVisible();
  // Cancelled, the dialog forgets what was typed into the secret field.
  await create.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "+ Token" }).click();
  await expect(field).toHaveValue("");

  await field.fill(secret);
  await create.getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("status").filter({ hasText: new RegExp(`Token AT-\\d+ imported for ${VIEWER.username}\\.`) })).toBeVisible();
  await expect(page.getByRole("dialog", { name: "Token created" })).toBeHidden();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Imported");
  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).user.username).toBe(VIEWER.username);
  // The secret left the page with the form.
  expect(await page.content()).not.toContain(secret);
  await page.getByRole("button", { name: "+ Token" }).click();
  await expect(create.getByLabel("Existing secret (optional)")).toHaveValue("");
});

test("an owner suspends a token and resumes it with the same secret", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const name = `pause-${Date.now()}`;
  const section = await tokens.generate(page, name);
  const secret = await TokensPage.secretIn(section);
  const call = () => request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect((await call()).status()).toBe(200);

  await page.getByRole("link", { name, exact: true }).click();
  await expect(page).toHaveURL(/\/me\/tokens\/\d+$/);
  await hydrated(page);
  await page.getByRole("button", { name: `Suspend ${name}` }).click();
  await confirmWith(page, "Suspend");
  const details = page.getByRole("region", { name: "Token details" });
  await expect(details).toContainText("Suspended by admin");
  const refused = await call();
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("token_suspended");

  await page.getByRole("button", { name: `Resume ${name}` }).click();
  await confirmWith(page, "Resume");
  await expect(details).toContainText("Effective");
  expect((await call()).status()).toBe(200);
});
