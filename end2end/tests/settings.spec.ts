import { test, expect, hydrated, confirmWith, generateAccessToken, ADMIN } from "./fixtures";

test("switching API tokens off makes the token API refuse, and back on restores it", async ({ page, login, request }) => {
  await login.open("/me/tokens");
  await login.signInAndWait(ADMIN);
  const secret = (await (await generateAccessToken(page)).getByLabel("Access token").textContent())!.trim();
  const me = () => request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect((await me()).status()).toBe(200);

  await page.goto("/admin/settings");
  await hydrated(page);
  const toggle = page.getByRole("switch", { name: "API tokens" });
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("dialog", { name: "Please confirm" })).toContainText("Every token of every user is refused");
  await confirmWith(page, "Switch off");
  await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  const refused = await me();
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("tokens_disabled");

  await page.reload();
  await hydrated(page);
  await expect(toggle).not.toBeChecked();
  await toggle.check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  expect((await me()).status()).toBe(200);
});

test("an inconsistent policy is refused with a message naming it", async ({ page, login }) => {
  await login.open("/admin/settings");
  await login.signInAndWait(ADMIN);
  await page.getByLabel("Default lifetime (days)").fill("400");
  await page.getByLabel("Maximum lifetime (days, 0 for no limit)").fill("30");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "cannot exceed the maximum" })).toBeVisible();
  // Next to the field it is about, not by the Save button.
  const field = page.locator(".field").filter({ has: page.getByLabel("Default lifetime (days)") });
  await expect(field.getByRole("alert")).toContainText("cannot exceed the maximum");
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Default lifetime (days)")).toHaveValue("90");
});

test("clearing Maximum lifetime is refused by the field instead of saving no maximum", async ({ page, login }) => {
  await login.open("/admin/settings");
  await login.signInAndWait(ADMIN);
  const maximum = page.getByLabel("Maximum lifetime (days, 0 for no limit)");
  await maximum.fill("365");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  await maximum.fill("");
  await page.getByRole("button", { name: "Save" }).click();
  const field = page.locator(".field").filter({ has: maximum });
  await expect(field.getByRole("alert")).toContainText("enter a whole number");
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Maximum lifetime (days, 0 for no limit)")).toHaveValue("365");
  // An explicit 0 still means no maximum; then back to the default for the other tests.
  for (const days of ["0", "365"]) {
    await page.getByLabel("Maximum lifetime (days, 0 for no limit)").fill(days);
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByLabel("Maximum lifetime (days, 0 for no limit)")).toHaveValue(days);
  }
});

test("the audit log lists sign-ins newest first and filters by action", async ({ page, login }) => {
  await login.open("/admin/audit");
  await login.signIn(ADMIN);
  await expect(page).toHaveURL("/admin/audit");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  const firstRow = page.getByRole("row").nth(1);
  await expect(firstRow).toContainText("auth.sign_in");
  await expect(firstRow).toContainText("admin");
  await page.getByLabel("Action").fill("auth.sign_in");
  await page.getByLabel("Action").blur();
  await expect(page.getByRole("cell", { name: /auth\.sign_out/ })).toHaveCount(0);
  await expect(page.getByRole("cell", { name: "Signed in auth.sign_in", exact: true }).first()).toBeVisible();
  await page.getByLabel("Action").fill("no.such.action");
  await page.getByLabel("Action").blur();
  await expect(page.getByText("No events match these filters.")).toBeVisible();
});
