import { test, expect, hydrated, confirmWith, ADMIN, signedIn } from "./fixtures";
import { TokensPage } from "./areas/tokens";

test("an administrator adds a user, edits and locks them, and issues their first token", async ({ page }) => {
  await signedIn(page, ADMIN, "/admin/users");
  const username = `svc-${Date.now()}`;

  await page.getByRole("button", { name: "+ User" }).click();
  const create = page.getByRole("dialog", { name: "Create user" });
  await create.getByLabel("Username").fill(username);
  await create.getByLabel("Password").fill("short");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(create).toContainText("at least 8 characters");
  await create.getByLabel("Password").fill("orchid-tunnel-basalt-58");
  await create.getByLabel("Display name").fill("Billing integration");
  await create.getByLabel("Technical user").check();
  await create.getByRole("button", { name: "Create" }).click();

  await expect(page).toHaveURL(/\/admin\/users\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole("status").filter({ hasText: "User created." })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: username })).toBeVisible();
  await expect(page.getByRole("tab", { name: "General" })).toHaveAttribute("aria-selected", "true");
  await page.getByLabel("Display name").fill("Billing integration (prod)");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.getByRole("button", { name: "Lock" }).click();
  await confirmWith(page, "Lock");
  await expect(page.getByRole("status").filter({ hasText: "User locked." })).toBeVisible();
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("status").filter({ hasText: "User unlocked." })).toBeVisible();

  await page.getByRole("tab", { name: "Access Tokens" }).click();
  const panel = page.getByRole("tabpanel", { name: "Access Tokens" });
  await expect(panel.getByRole("link", { name: "API documentation" })).toBeVisible();
  await expect(await new TokensPage(page).generate(panel)).toContainText("tsr_");
  await page.reload();
  await hydrated(page);
  await page.getByRole("tab", { name: "Access Tokens" }).click();
  await expect(page.getByRole("region", { name: "New access token" })).toHaveCount(0);
  await expect(page.getByRole("tabpanel", { name: "Access Tokens" }).getByRole("row")).toHaveCount(2);

  await page.goto("/admin/users");
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search" }).fill(username);
  await expect(page.getByRole("link", { name: username })).toBeVisible();
  await expect(page.getByRole("link", { name: "admin", exact: true })).toHaveCount(0);
});
