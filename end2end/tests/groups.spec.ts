import { test, expect, hydrated, confirmWith, elsewhere, openDialog } from "./fixtures";
import { EndpointsPage } from "./areas/endpoints";
import { GroupsPage } from "./areas/groups";
import { UsersPage } from "./areas/users";

test("an administrator makes a group of auditors and endpoint readers; its member reads without buttons", async ({
  page,
  browser,
}) => {
  const stamp = Date.now();
  const endpoints = new EndpointsPage(page);
  await endpoints.open();
  const path = `grid-${stamp}`;
  await endpoints.create(`Grid ${stamp}`, path);
  const users = new UsersPage(page);
  await users.open();
  const member = { username: `aud-${stamp}`, password: "quartz-lagoon-ember-64" };
  const userPath = await users.create(member);

  const groups = new GroupsPage(page);
  await groups.open();
  await expect(page.getByRole("heading", { level: 1, name: "Groups" })).toBeVisible();
  const table = page.getByRole("region", { name: "Groups" });
  await expect(table.getByRole("row", { name: /Administrators Built-in/ })).toBeVisible();
  await expect(table.getByRole("row", { name: /Auditors Built-in/ })).toBeVisible();

  const name = `Readers ${stamp}`;
  const groupPath = await groups.create(name, "Compliance and the order feed");
  const rights = page.getByRole("tabpanel", { name: "Rights" });
  await expect(page.getByRole("tab", { name: "Rights" })).toHaveAttribute("aria-selected", "true");
  await rights.getByLabel("audit:read").check();
  await rights.getByRole("checkbox", { name: `GET ${path}`, exact: true }).check();
  await rights.getByRole("button", { name: "Save rights" }).click();
  await expect(rights.getByRole("status")).toHaveText("Rights saved.");
  await page.reload();
  await hydrated(page);
  await expect(rights.getByLabel("audit:read")).toBeChecked();
  await expect(rights.getByRole("checkbox", { name: `GET ${path}`, exact: true })).toBeChecked();
  await expect(rights.getByRole("checkbox", { name: `POST ${path}`, exact: true })).not.toBeChecked();

  let members = await groups.tab("Members");
  await expect(members).toContainText("No members yet.");
  const add = await openDialog(page, "Add member", "Add member");
  await add.getByLabel("Username").fill("nobody-here");
  await add.getByRole("button", { name: "Add" }).click();
  await expect(add).toContainText("No user has this username");
  await add.getByLabel("Username").fill(member.username);
  await add.getByRole("button", { name: "Add" }).click();
  await expect(add).toBeHidden();
  members = page.getByRole("tabpanel", { name: "Members" });
  await expect(members.getByRole("link", { name: member.username })).toBeVisible();

  // The user's General tab lists the groups they are in.
  await page.goto(userPath);
  await hydrated(page);
  await expect(page.getByRole("region", { name: "Groups" }).getByRole("listitem")).toHaveText([name]);
  await page.goto(`${groupPath}?tab=members`);
  await hydrated(page);

  // The member now reads the groups (as an auditor) and changes nothing.
  const auditor = await elsewhere(browser, member);
  await auditor.page.goto(groupPath);
  await hydrated(auditor.page);
  await expect(auditor.page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(auditor.page.getByRole("button", { name: "Save rights" })).toHaveCount(0);
  await expect(auditor.page.getByRole("button", { name: "Add member" })).toHaveCount(0);
  await expect(auditor.page.getByRole("button", { name: "Save" })).toHaveCount(0);
  await auditor.page.goto("/admin/groups");
  await hydrated(auditor.page);
  await expect(auditor.page.getByRole("button", { name: "+ Group" })).toHaveCount(0);
  const response = await auditor.page.goto("/admin/settings");
  expect(response?.status()).toBe(403);
  await auditor.page.goto("/admin/audit");
  await hydrated(auditor.page);
  await expect(auditor.page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  await expect(auditor.page.locator("tbody tr").first()).toBeVisible();

  // Removing the member ends it at their next request.
  await members.getByRole("button", { name: `Remove ${member.username}` }).click();
  await confirmWith(page, "Remove");
  await expect(members.getByRole("status")).toHaveText(`${member.username} removed.`);
  const after = await auditor.page.goto("/admin/groups");
  expect(after?.status()).toBe(403);
  await auditor.context.close();

  // The group goes with Delete.
  await groups.tab("General");
  await page.getByRole("button", { name: "Delete group" }).click();
  await confirmWith(page, "Delete");
  await expect(page).toHaveURL(/\/admin\/groups$/);
  await hydrated(page);
  await expect(page.getByRole("link", { name })).toHaveCount(0);
});
