import { Page } from "@playwright/test";
import { test, expect, hydrated } from "./fixtures";
import { EndpointsPage } from "./areas/endpoints";

test.use({ permissions: ["clipboard-read", "clipboard-write"] });

const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

/** Adds an endpoint token in the "Token settings" dialog and answers its secret. */
async function addEndpointToken(page: Page, name: string) {
  await page.getByRole("button", { name: "+ Add" }).click();
  const dialog = page.getByRole("dialog", { name: "Token settings" });
  await dialog.getByLabel("Name").fill(name);
  const token = dialog.getByLabel("Token", { exact: true });
  await expect(token).toHaveValue(/^[0-9A-Za-z]{64}$/);
  await expect(token).toHaveAttribute("type", "password");
  await dialog.getByRole("button", { name: "Show token" }).click();
  await expect(token).toHaveAttribute("type", "text");
  const first = await token.inputValue();
  await dialog.getByRole("button", { name: "Regenerate token" }).click();
  await expect(token).not.toHaveValue(first);
  const secret = await token.inputValue();
  expect(secret).toMatch(/^[0-9A-Za-z]{64}$/);
  await dialog.getByRole("button", { name: "Copy token" }).click();
  expect(await clipboard(page)).toBe(secret);
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("switch", { name: `Enabled ${name}` })).toBeChecked();
  return secret;
}

test("an administrator wires an endpoint to two applications and sees who calls it", async ({ page, request }) => {
  const suffix = Date.now();
  const path = `orders-${suffix}`;
  const appA = `shop-${suffix}`;
  const appB = `billing-${suffix}`;
  const endpoints = new EndpointsPage(page);
  await endpoints.open();

  // Create with no authentication, then switch it to Token on the General tab.
  const create = await endpoints.createDialog();
  await create.getByLabel("Name").fill("Orders");
  await create.getByLabel("Path").fill("Not A Slug");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(create).toContainText("lower-case letters");
  await create.getByLabel("Path").fill(path);
  await create.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/admin\/endpoints\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole("status").filter({ hasText: "Endpoint created." })).toBeVisible();
  const endpointUrl = page.url();
  await expect(page.getByRole("tab", { name: "Tokens" })).toHaveCount(0);
  // Saving shows the Tokens tab. (Retried: a click before the page hydrated does nothing.)
  await expect(async () => {
    await page.getByLabel("Authentication type").selectOption("token");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("tab", { name: "Tokens" })).toBeVisible({ timeout: 2000 });
  }).toPass();
  await page.getByRole("tab", { name: "Tokens" }).click();

  // The POST primary: generated, shown once, copied, and it works.
  const tokens = page.getByRole("tabpanel", { name: "Tokens" });
  await expect(tokens.getByRole("button", { name: "Copy POST token" })).toBeDisabled();
  await tokens.getByRole("button", { name: "Generate POST token" }).click();
  await expect(tokens.getByLabel("POST token")).toHaveText(/^[0-9A-Za-z]{64}$/);
  const primary = (await tokens.getByLabel("POST token").textContent())!.trim();
  expect(primary).toMatch(/^[0-9A-Za-z]{64}$/);
  await tokens.getByRole("button", { name: "Copy POST token" }).click();
  expect(await clipboard(page)).toBe(primary);
  // That value is out now: replacing it breaks whoever holds it, so it is asked first.
  await tokens.getByRole("button", { name: "Generate POST token" }).click();
  const confirm = page.getByRole("dialog", { name: "Please confirm" });
  await expect(confirm).toContainText("The current POST token stops working at once");
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(tokens.getByLabel("POST token")).toHaveText(primary);
  const records = `/api/v1/endpoints/${path}/records`;
  const byPrimary = await request.post(records, { headers: { Authorization: `Bearer ${primary}` }, data: { via: "primary" } });
  expect(byPrimary.status()).toBe(201);

  // Rotation with an overlap: the old value keeps working for the hour chosen, so the
  // integration can switch without an outage; the data viewer names its calls apart.
  await tokens.getByLabel("After generating, the old value keeps working for").selectOption("hour");
  await tokens.getByRole("button", { name: "Generate POST token" }).click();
  await expect(confirm).toContainText("The current POST token keeps working for 1 hour, then stops");
  await confirm.getByRole("button", { name: "Generate" }).click();
  await expect(tokens.getByLabel("POST token")).not.toHaveText(primary);
  const rotated = (await tokens.getByLabel("POST token").textContent())!.trim();
  await expect(tokens).toContainText("Previous value works until");
  for (const value of [primary, rotated]) {
    const call = await request.post(records, { headers: { Authorization: `Bearer ${value}` }, data: { via: "overlap" } });
    expect(call.status()).toBe(201);
  }

  // Two applications, each with its own endpoint token.
  await page.goto("/admin/endpoint-tokens");
  await hydrated(page);
  const secretA = await addEndpointToken(page, appA);
  const secretB = await addEndpointToken(page, appB);

  // Assign the first to POST; Hide unassigned then hides the second.
  await page.goto(endpointUrl);
  await hydrated(page);
  await page.getByRole("tab", { name: "Tokens" }).click();
  const assignA = tokens.getByRole("checkbox", { name: `Assign ${appA} to POST` });
  await expect(async () => {
    await assignA.check();
    await expect(tokens.getByRole("status").filter({ hasText: `Assignments of ${appA} saved.` })).toBeVisible({ timeout: 2000 });
  }).toPass();
  await expect(assignA).toBeChecked();
  // Saved on the server, not only shown: a reload shows it again.
  await page.reload();
  await hydrated(page);
  await page.getByRole("tab", { name: "Tokens" }).click();
  await expect(assignA).toBeChecked();
  await expect(tokens.getByRole("checkbox", { name: `Assign ${appB} to POST` })).toBeVisible();
  await tokens.getByRole("switch", { name: "Hide unassigned" }).check();
  await expect(tokens.getByRole("checkbox", { name: `Assign ${appB} to POST` })).toBeHidden();
  await expect(tokens.getByRole("checkbox", { name: `Assign ${appA} to POST` })).toBeVisible();

  // Taking POST away in the "Assign endpoint tokens" dialog is asked first; Cancel keeps it.
  await page.goto("/admin/endpoint-tokens");
  await hydrated(page);
  await page.getByRole("button", { name: `Assign endpoint tokens ${appA}` }).click();
  const assign = page.getByRole("dialog", { name: "Assign endpoint tokens" });
  await assign.getByLabel("Endpoint").selectOption({ label: `Orders (/${path})` });
  await expect(assign.getByRole("checkbox", { name: "POST" })).toBeChecked();
  await assign.getByRole("checkbox", { name: "POST" }).uncheck();
  await assign.getByRole("button", { name: "Save" }).click();
  const ask = page.getByRole("dialog", { name: "Please confirm" });
  await expect(ask).toContainText(`Take rights away from “${appA}”`);
  await expect(ask.getByRole("button", { name: "Cancel" })).toBeFocused();
  await ask.getByRole("button", { name: "Cancel" }).click();
  await assign.getByRole("button", { name: "Cancel" }).click();
  await page.goto(endpointUrl);
  await hydrated(page);

  // One application is let in, the other is refused.
  const accepted = await request.post(records, { headers: { Authorization: `Bearer ${secretA}` }, data: { order: 42 } });
  expect(accepted.status()).toBe(201);
  const refused = await request.post(records, { headers: { Authorization: `Bearer ${secretB}` }, data: { order: 43 } });
  expect(refused.status()).toBe(403);

  // Both calls appear in the data viewer (the log is written in batches: refresh until).
  await page.getByRole("tab", { name: "Data" }).click();
  const data = page.getByRole("tabpanel", { name: "Data" });
  const calls = data.getByRole("region", { name: "Calls" });
  await expect(async () => {
    await data.getByRole("button", { name: "Refresh" }).click();
    await expect(calls.getByRole("row").filter({ hasText: appB })).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(calls.getByRole("row").filter({ hasText: appA })).toContainText("201");
  await expect(calls.getByRole("row").filter({ hasText: appB })).toContainText("403");
  const chart = data.getByRole("img", { name: /Calls per token over time/ });
  await expect(chart).toHaveAttribute("aria-label", new RegExp(`${appA} 1`));
  await expect(chart).toHaveAttribute("aria-label", new RegExp(`${appB} 1`));
  await expect(data.getByRole("list", { name: "Legend" })).toContainText(appA);

  // A readable y axis: five round ticks from 0.
  await expect(data.locator(".y-axis span")).toHaveCount(5);
  await expect(data.locator(".y-axis span").first()).toHaveText("0");
  const colourOf = (name: string) =>
    data.getByRole("list", { name: "Legend" }).getByRole("listitem").filter({ hasText: name }).locator("rect").getAttribute("fill");
  const colourA = await colourOf(appA);

  // Filtered by the first application: only its call remains, in the table and the chart.
  await data.getByRole("group", { name: "Tokens" }).getByRole("checkbox", { name: appA }).check();
  await expect(calls.getByRole("row").filter({ hasText: appB })).toHaveCount(0);
  await expect(calls.getByRole("row").filter({ hasText: appA })).toHaveCount(1);
  await expect(chart).not.toHaveAttribute("aria-label", new RegExp(appB));
  // The filter is in the URL, and the token keeps its colour.
  await expect(page).toHaveURL(/[?&]tab=data/);
  await expect(page).toHaveURL(/[?&]senders=/);
  expect(await colourOf(appA)).toBe(colourA);
  await page.reload();
  await hydrated(page);
  await expect(data.getByRole("group", { name: "Tokens" }).getByRole("checkbox", { name: appA })).toBeChecked();
  await expect(calls.getByRole("row").filter({ hasText: appB })).toHaveCount(0);

  // The stored record, on demand.
  await calls.getByRole("row").filter({ hasText: appA }).getByRole("button", { name: "View JSON" }).click();
  await expect(page.getByRole("dialog", { name: "Record" })).toContainText('"order": 42');
  await page.keyboard.press("Escape");

  // The first application's token, edited: an allowlist elsewhere refuses its calls; a new
  // value saved with an overlap leaves the old one working meanwhile.
  await page.goto("/admin/endpoint-tokens");
  await hydrated(page);
  await page.getByRole("button", { name: `Edit ${appA}` }).click();
  const settings = page.getByRole("dialog", { name: "Token settings" });
  await settings.getByLabel("Allowed addresses").fill("10.0.0.0/8");
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(settings).toBeHidden();
  const post = (secret: string) => request.post(records, { headers: { Authorization: `Bearer ${secret}` }, data: { order: 44 } });
  const blocked = await post(secretA);
  expect(blocked.status()).toBe(403);
  expect((await blocked.json()).error.code).toBe("ip_not_allowed");

  await page.getByRole("button", { name: `Edit ${appA}` }).click();
  await expect(settings.getByLabel("Allowed addresses")).toHaveValue("10.0.0.0/8");
  await settings.getByLabel("Allowed addresses").fill("");
  await settings.getByLabel("After a new value is saved, the old one keeps working for").selectOption("day");
  await settings.getByRole("button", { name: "Regenerate token" }).click();
  await settings.getByRole("button", { name: "Show token" }).click();
  const token = settings.getByLabel("Token", { exact: true });
  await expect(token).toHaveValue(/^[0-9A-Za-z]{64}$/);
  const renewed = await token.inputValue();
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(settings).toBeHidden();
  expect((await post(secretA)).status()).toBe(201);
  expect((await post(renewed)).status()).toBe(201);
  await page.getByRole("button", { name: `Edit ${appA}` }).click();
  await expect(settings).toContainText("The value replaced last still works until");
});

test("the data viewer pages its calls 50 at a time, refused calls apart, with time presets", async ({ page, request }) => {
  const path = `paged-${Date.now()}`;
  const endpoints = new EndpointsPage(page);
  await endpoints.open();
  const endpointPath = await endpoints.create("Paged", path);
  // No authentication: every call is accepted; a malformed body is refused.
  const records = EndpointsPage.records(path);
  for (let i = 0; i < 55; i++) {
    expect((await request.post(records, { data: { n: i } })).status()).toBe(201);
  }
  const bad = await request.post(records, { headers: { "Content-Type": "application/json" }, data: Buffer.from("{not json") });
  expect(bad.status()).toBe(400);

  // Without token authentication there is no Tokens tab: a link to it opens General.
  await page.goto(`${endpointPath}?tab=tokens`);
  await hydrated(page);
  await expect(page.getByRole("tab", { name: "Tokens" })).toHaveCount(0);
  await expect(page.getByRole("tab", { name: "General" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("tabpanel", { name: "General" })).toBeVisible();

  await page.goto(`${endpointPath}?tab=data`);
  await hydrated(page);
  const data = page.getByRole("tabpanel", { name: "Data" });
  await expect(data).toBeVisible();
  await expect(data.getByRole("combobox", { name: "Time" })).toHaveValue("day");
  const rows = data.getByRole("region", { name: "Calls" }).locator("tbody tr");
  // The refused call is logged up to a second after the accepted ones: wait until both
  // the chart and the table (fetched separately) have it.
  await expect(async () => {
    await data.getByRole("button", { name: "Refresh" }).click();
    await expect(data.getByRole("img", { name: /Calls per token over time/ })).toHaveAttribute("aria-label", /55 accepted, 1 refused/, { timeout: 1000 });
    await expect(rows.filter({ hasText: "400" })).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(rows).toHaveCount(50);
  await data.getByRole("button", { name: "Next" }).click();
  await expect(page).toHaveURL(/[?&]cursor=/);
  await expect(rows).toHaveCount(6);
  await expect(data.locator("rect.refused")).toHaveCount(1);
  await data.getByRole("button", { name: "Previous" }).click();
  await expect(rows).toHaveCount(50);

  await data.getByRole("combobox", { name: "Time" }).selectOption("custom");
  await expect(page).toHaveURL(/[?&]range=custom/);
  await data.getByLabel("From", { exact: true }).fill("2020-01-01");
  await data.getByLabel("To", { exact: true }).fill("2020-01-02");
  await expect(data.getByText("No calls match.", { exact: false })).toBeVisible();
  await data.getByRole("combobox", { name: "Time" }).selectOption("hour");
  await expect(rows).toHaveCount(50);
});
