import { test, expect, hydrated, ADMIN, VIEWER, signedIn } from "./fixtures";
import { TokensPage } from "./areas/tokens";

test.use({ permissions: ["clipboard-read", "clipboard-write"] });

test("an administrator creates a token, reads it once, copies it, uses it, revokes it and deletes another", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const name = `ci-${Date.now()}`;

  const create = await tokens.createDialog();
  await expect(create).toBeVisible();
  await create.getByLabel("User").fill(VIEWER.username);
  await create.getByLabel("Name").fill(name);
  await create.getByLabel("Description").fill("made by the end-to-end suite");
  await expect(create.getByLabel("Expiration date")).not.toHaveValue("");
  await create.getByRole("button", { name: "Create" }).click();

  const created = page.getByRole("dialog", { name: "Token created" });
  await expect(created).toBeVisible();
  await expect(created).toContainText("will not be shown again");
  await expect(created.getByText(/^tsr_[•]+$/)).toBeVisible();
  await created.getByRole("button", { name: "Show token" }).click();
  const secret = (await created.getByLabel("New token").textContent())!.trim();
  expect(secret).toMatch(/^tsr_[0-9A-Za-z]{38}$/);
  await expect(created.getByRole("button", { name: "Hide token" })).toBeVisible();
  await created.getByRole("button", { name: "Copy to clipboard" }).click();
  await expect(created).toBeHidden();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).user.username).toBe(VIEWER.username);

  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Effective");
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  const confirm = page.getByRole("dialog", { name: "Please confirm" });
  await confirm.getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(row).toContainText("Not effective (revoked)");
  const revoked = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect(revoked.status()).toBe(401);
  expect((await revoked.json()).error.code).toBe("token_revoked");

  await row.getByRole("button", { name: `Delete ${name}` }).click();
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
});

test("the create dialog names what is wrong and Escape closes it", async ({ page }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const create = await tokens.createDialog();
  await create.getByLabel("User").fill("nobody-by-this-name");
  await create.getByLabel("Name").fill("x");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(create).toContainText("No user has this username");
  await create.getByLabel("User").fill(VIEWER.username);
  await create.getByLabel("Name").fill("");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(create).toContainText("Enter a name");
  await page.keyboard.press("Escape");
  await expect(create).toBeHidden();
  await expect(page.getByRole("button", { name: "+ Token" })).toBeFocused();
});

test("a user generates their own token, sees it once, and sees nobody else's", async ({ page, request }) => {
  const tokens = new TokensPage(page);
  await tokens.open(VIEWER, "/me/tokens");
  await expect(page.getByRole("link", { name: "API documentation" })).toHaveAttribute("href", "/api/docs");
  const section = await tokens.generate();
  await expect(section).toContainText("only time the token is shown");
  const secret = (await section.getByLabel("Access token").textContent())!.trim();
  await section.getByRole("button", { name: "Copy" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  const description = `laptop script ${Date.now()}`;
  await section.getByRole("textbox", { name: "Description" }).fill(description);
  await section.getByRole("button", { name: "Save description" }).click();
  await expect(section).toContainText("Description saved.");

  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect((await me.json()).user.username).toBe(VIEWER.username);

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("region", { name: "New access token" })).toHaveCount(0);
  await expect(page.getByRole("row").filter({ hasText: description })).toBeVisible();
  // Only the viewer's own tokens are listed.
  await expect(page.getByRole("cell", { name: ADMIN.username, exact: true })).toHaveCount(0);
});

test("the admin server functions refuse a non-administrator called directly", async ({ page }) => {
  await signedIn(page, VIEWER, "/");
  for (const fn of ["list_users", "suggest_users", "list_tokens", "delete_token"]) {
    const status = await page.evaluate(async (name) => {
      const response = await fetch(`/sfn/${name}`, {
        method: "POST",
        headers: { "Content-Type": name === "list_tokens" ? "application/json" : "application/x-www-form-urlencoded" },
        body: name === "list_tokens" ? JSON.stringify({ filter: {} }) : name === "delete_token" ? "id=1" : name === "suggest_users" ? "text=a&for_token=false" : "",
      });
      return response.status;
    }, fn);
    expect(status, fn).toBe(403);
  }
});

test("each User box suggests the users matching what it holds, not every user", async ({ page }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const suggested = (list: string) =>
    expect.poll(() => page.locator(`#${list} option`).evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)));

  await page.locator("#list-filters").getByLabel("User").fill("iewe");
  await suggested("filter-users").toContain(VIEWER.username);
  await suggested("filter-users").not.toContain(ADMIN.username);

  const create = await tokens.createDialog();
  await create.getByLabel("User").fill("dmi");
  await suggested("token-users").toContain(ADMIN.username);
  await suggested("token-users").not.toContain(VIEWER.username);
  await create.getByLabel("User").fill("no-such-user-by-far");
  await suggested("token-users").toEqual([]);
});

test("a double click on Create issues one token, not two", async ({ page }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const name = `double-${Date.now()}`;
  const create = await tokens.createDialog();
  await create.getByLabel("User").fill(VIEWER.username);
  await create.getByLabel("Name").fill(name);
  await create.getByRole("button", { name: "Create" }).dblclick();
  const created = page.getByRole("dialog", { name: "Token created" });
  await expect(created).toBeVisible();
  await created.getByRole("button", { name: "Close", exact: true }).click();
  await created.getByRole("button", { name: "Close anyway" }).click();
  await page.getByRole("searchbox", { name: "Search" }).fill(name);
  await page.getByRole("searchbox", { name: "Search" }).press("Tab");
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(1);
  // A reload asks the server again: still exactly one.
  await page.reload();
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search" }).fill(name);
  await page.getByRole("searchbox", { name: "Search" }).press("Tab");
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(1);
});

test("a second tab that revoked and deleted the token first leaves the first tab with a clear message", async ({ page, context }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const name = `two-tabs-${Date.now()}`;
  const create = await tokens.createDialog();
  await create.getByLabel("User").fill(VIEWER.username);
  await create.getByLabel("Name").fill(name);
  await create.getByRole("button", { name: "Create" }).click();
  await page.getByRole("dialog", { name: "Token created" }).getByRole("button", { name: "Close", exact: true }).click();
  await page.getByRole("dialog", { name: "Token created" }).getByRole("button", { name: "Close anyway" }).click();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Effective");

  // The same administrator in a second tab revokes, then deletes the token.
  const other = await context.newPage();
  await other.goto("/admin/tokens");
  await hydrated(other);
  const otherRow = other.getByRole("row").filter({ hasText: name });
  const otherConfirm = other.getByRole("dialog", { name: "Please confirm" });
  await otherRow.getByRole("button", { name: `Revoke ${name}` }).click();
  await otherConfirm.getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(otherRow).toContainText("Not effective (revoked)");
  await otherRow.getByRole("button", { name: `Delete ${name}` }).click();
  await otherConfirm.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(otherRow).toHaveCount(0);

  // The first tab still shows the token; revoking it now says what happened.
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await page.getByRole("dialog", { name: "Please confirm" }).getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "deleted elsewhere" })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
});

test("the token list sorts by expiry, soonest first, across pages", async ({ page }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  await page.getByLabel("Sort by").selectOption("expires");
  await expect(page.getByRole("columnheader", { name: "Expires" })).toHaveAttribute("aria-sort", "ascending");
  await expect(page.locator("tbody tr").first()).toBeVisible();
  const days = (await page.locator("tbody tr td[data-label=Expires]").allTextContents())
    .map((text) => (text.trim() === "Never" ? "9999-12-31" : text.trim()));
  expect(days.length).toBeGreaterThan(0);
  expect([...days].sort()).toEqual(days);
  await page.getByLabel("Sort by").selectOption("created");
  await expect(page.getByRole("columnheader", { name: "Created" })).toHaveAttribute("aria-sort", "descending");
});

test("a secret leaves the page when the dialog or section that showed it closes", async ({ page }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const created = page.getByRole("dialog", { name: "Token created" });
  // Closed three ways: Copy to clipboard, Close, Escape.
  for (const close of ["Copy to clipboard", "Close", "Escape"]) {
    const create = await tokens.createDialog();
    await create.getByLabel("User").fill(VIEWER.username);
    await create.getByLabel("Name").fill(`gone-${close}-${Date.now()}`);
    await create.getByRole("button", { name: "Create" }).click();
    await expect(created).toBeVisible();
    await created.getByRole("button", { name: "Show token" }).click();
    const secret = (await created.getByLabel("New token").textContent())!.trim();
    expect(secret).toMatch(/^tsr_/);
    expect(await page.content()).toContain(secret);
    if (close === "Escape") {
      await page.keyboard.press("Escape");
    } else {
      await created.getByRole("button", { name: close, exact: true }).click();
    }
    // Not copied yet: closing asks first.
    if (close !== "Copy to clipboard") {
      await expect(created.getByRole("alert")).toContainText("You have not copied the token. Close anyway?");
      await created.getByRole("button", { name: "Close anyway" }).click();
    }
    await expect(created).toBeHidden();
    expect(await page.content(), close).not.toContain(secret);
    expect(await page.content(), close).not.toContain(secret.slice(4));
  }

  // The Generate Access Token section: Done, and leaving the page.
  await page.goto("/me/tokens");
  await hydrated(page);
  for (const leave of ["Done", "navigation"]) {
    const section = await tokens.generate();
    const secret = (await section.getByLabel("Access token").textContent())!.trim();
    expect(secret).toMatch(/^tsr_/);
    if (leave === "Done") {
      await section.getByRole("button", { name: "Done: hide the token" }).click();
      await section.getByRole("button", { name: "Close anyway" }).click();
    } else {
      await page.getByRole("link", { name: "Tessera" }).click();
      await expect(page).toHaveURL("/");
      await page.getByRole("link", { name: "My account" }).click();
      await expect(page).toHaveURL("/me/tokens");
    }
    await expect(section).toHaveCount(0);
    expect(await page.content(), leave).not.toContain(secret);
  }
});

test("the token list's filters and order live in the URL: a reload and Back restore them", async ({ page }) => {
  const tokens = new TokensPage(page);
  await tokens.open();
  const filters = page.locator("form.filters");

  await filters.getByLabel("Status").selectOption("effective");
  await expect(page).toHaveURL(/[?&]status=effective/);
  await filters.getByLabel("Sort by").selectOption("expires");
  await expect(page).toHaveURL(/[?&]sort=expires/);
  await filters.getByLabel("Search").fill("no such token 50%");
  await filters.getByLabel("Search").press("Enter");
  await expect(page).toHaveURL(/[?&]q=no%20such%20token%2050%25/);
  await expect(page.getByText("No tokens match these filters.")).toBeVisible();

  await page.reload();
  await hydrated(page);
  await expect(filters.getByLabel("Status")).toHaveValue("effective");
  await expect(filters.getByLabel("Sort by")).toHaveValue("expires");
  await expect(filters.getByLabel("Search")).toHaveValue("no such token 50%");
  await expect(page.getByText("No tokens match these filters.")).toBeVisible();

  await page.goBack();
  await expect(page).not.toHaveURL(/[?&]q=/);
  await expect(filters.getByLabel("Search")).toHaveValue("");
  await expect(filters.getByLabel("Sort by")).toHaveValue("expires");
  await page.goBack();
  await page.goBack();
  await expect(page).toHaveURL("/admin/tokens");
  await expect(filters.getByLabel("Status")).toHaveValue("");
});
