import { test, expect, hydrated, confirmWith, ADMIN } from "./fixtures";
import { SettingsPage } from "./areas/settings";
import { TokensPage } from "./areas/tokens";

const MAXIMUM = "Maximum lifetime (days, 0 for no limit)";

test("switching API tokens off makes the token API refuse, and back on restores it", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(ADMIN, "/me/tokens");
  const secret = (await (await tokens.generate()).getByLabel("Access token").textContent())!.trim();
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

test("an inconsistent policy is refused with a message naming it", async ({ page }) => {
  const settings = new SettingsPage(page);
  await settings.open();
  await settings.field("Default lifetime (days)").fill("400");
  await settings.field(MAXIMUM).fill("30");
  await settings.save();
  await expect(page.getByRole("alert").filter({ hasText: "cannot exceed the maximum" })).toBeVisible();
  // Next to the field it is about, not by the Save button.
  await expect(settings.fieldError("Default lifetime (days)")).toContainText("cannot exceed the maximum");
  await settings.reload();
  await expect(settings.field("Default lifetime (days)")).toHaveValue("90");
});

test("clearing Maximum lifetime is refused by the field instead of saving no maximum", async ({ page }) => {
  const settings = new SettingsPage(page);
  await settings.open();
  const maximum = settings.field(MAXIMUM);
  await maximum.fill("365");
  await settings.saved();
  await maximum.fill("");
  await settings.save();
  await expect(settings.fieldError(MAXIMUM)).toContainText("enter a whole number");
  await settings.reload();
  await expect(maximum).toHaveValue("365");
  // An explicit 0 still means no maximum; then back to the default for the other tests.
  for (const days of ["0", "365"]) {
    await maximum.fill(days);
    await settings.saved();
    await settings.reload();
    await expect(maximum).toHaveValue(days);
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
