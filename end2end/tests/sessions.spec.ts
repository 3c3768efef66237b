import { test, expect, confirmWith, elsewhere, hydrated, ADMIN, VIEWER } from "./fixtures";

// These tests end other sessions of the shared users (a password change, "Sign out all other
// sessions"), so they run last, in the "sessions" project, after every test that starts from
// the sessions the "sign-in" project stored.

test("a user changes their own password, signs in with it, and changes it back", async ({ page, login }) => {
  const next = "sandstone-quiver-meadow-94";
  await login.open("/me");
  await login.signInAndWait(VIEWER);
  const form = page.getByRole("region", { name: "Change password" });

  await form.getByLabel("Current password").fill("not-my-password-at-all");
  await form.getByLabel("New password", { exact: true }).fill(next);
  await form.getByLabel("Confirm new password").fill(next);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).toHaveText("The current password is not correct");

  await form.getByLabel("Current password").fill(VIEWER.password);
  await form.getByLabel("Confirm new password").fill(`${next}x`);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).toHaveText("The new passwords do not match");

  await form.getByLabel("New password", { exact: true }).fill("password");
  await form.getByLabel("Confirm new password").fill("password");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).toContainText("too common");

  await form.getByLabel("New password", { exact: true }).fill(next);
  await form.getByLabel("Confirm new password").fill(next);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your other sessions were signed out.");
  await expect(form.getByLabel("Current password")).toHaveValue("");

  // This session stays signed in; the new password is the one that works now.
  await page.reload();
  await hydrated(page);
  await expect(page).toHaveURL("/me");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  await login.signIn(VIEWER);
  await expect(page.getByText("Invalid username or password")).toBeVisible();
  await login.open("/me");
  await login.signInAndWait({ username: VIEWER.username, password: next });

  // Back to the shared test password, so the other specs keep working.
  await form.getByLabel("Current password").fill(next);
  await form.getByLabel("New password", { exact: true }).fill(VIEWER.password);
  await form.getByLabel("Confirm new password").fill(VIEWER.password);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your other sessions were signed out.");
});

test("My sessions lists every browser signed in, and signs out the others", async ({ page, login, browser }) => {
  const firefoxAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0";
  const other = await elsewhere(browser, ADMIN, firefoxAgent);
  const third = await elsewhere(browser, ADMIN);

  await login.open("/me");
  await login.signInAndWait(ADMIN);
  await page.getByRole("navigation", { name: "My account" }).getByRole("link", { name: "Sessions" }).click();
  await expect(page).toHaveURL("/me/sessions");
  const table = page.getByRole("region", { name: "Sessions" });
  const current = table.locator("tbody tr").filter({ hasText: "This session" });
  await expect(current).toHaveCount(1);
  await expect(current).toContainText("127.0.0.1");
  const firefox = table.locator("tbody tr").filter({ hasText: "Firefox 140 on Windows 10" });
  await expect(firefox).toHaveCount(1);

  // One by one: the other browser is signed out at its next request.
  await firefox.first().getByRole("button", { name: /^Sign out session / }).click();
  await expect(page.getByRole("status").filter({ hasText: "1 session signed out." })).toBeVisible();
  await expect(firefox).toHaveCount(0);
  await other.page.goto("/admin/tokens");
  await expect(other.page).toHaveURL(/\/login/);

  // Sign out all other sessions: confirmed, Cancel focused; this one stays.
  await page.getByRole("button", { name: "Sign out all other sessions" }).click();
  await expect(page.getByRole("dialog", { name: "Please confirm" })).toContainText("this one stays");
  await confirmWith(page, "Sign out");
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Sign out all other sessions" })).toHaveCount(0);
  await third.page.goto("/admin/tokens");
  await expect(third.page).toHaveURL(/\/login/);
  await page.reload();
  await hydrated(page);
  await expect(table.locator("tbody tr").filter({ hasText: "This session" })).toHaveCount(1);
  await other.context.close();
  await third.context.close();
});
