import { expect, Page } from "@playwright/test";
import { hydrated, openDialog, signedIn, ADMIN } from "../fixtures";

/** Users (/admin/users) and a user's page. */
export class UsersPage {
  constructor(readonly page: Page) {}

  async open() {
    await signedIn(this.page, ADMIN, "/admin/users");
  }

  /** "+ User" → "Create user": answers the path of the new user's page, which it opens. */
  async create(user: { username: string; password: string; technical?: boolean }) {
    const dialog = await openDialog(this.page, "+ User", "Create user");
    await dialog.getByLabel("Username").fill(user.username);
    await dialog.getByLabel("Password").fill(user.password);
    if (user.technical) await dialog.getByLabel("Technical user").check();
    await dialog.getByRole("button", { name: "Create" }).click();
    await expect(this.page).toHaveURL(/\/admin\/users\/\d+$/);
    await hydrated(this.page);
    return new URL(this.page.url()).pathname;
  }

  /** A tab of the user's page, selected. */
  async tab(name: string) {
    await this.page.getByRole("tab", { name }).click();
    return this.page.getByRole("tabpanel", { name });
  }
}
