import { test, expect, hydrated, VIEWER } from "./fixtures";

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
