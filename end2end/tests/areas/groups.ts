import { expect, Page } from "@playwright/test";
import { hydrated, openDialog, signedIn, ADMIN } from "../fixtures";

/** Groups (/admin/groups) and a group's page. */
export class GroupsPage {
  constructor(readonly page: Page) {}

  async open() {
    await signedIn(this.page, ADMIN, "/admin/groups");
  }

  /** "+ Group" → "Create group": opens the new group's Rights tab; answers its path. */
  async create(name: string, description = "") {
    const dialog = await openDialog(this.page, "+ Group", "Create group");
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("Description").fill(description);
    await dialog.getByRole("button", { name: "Create" }).click();
    await expect(this.page).toHaveURL(/\/admin\/groups\/\d+\?tab=rights$/);
    await hydrated(this.page);
    return new URL(this.page.url()).pathname;
  }

  /** A tab of the group's page, selected. */
  async tab(name: string) {
    await this.page.getByRole("tab", { name }).click();
    return this.page.getByRole("tabpanel", { name });
  }
}
