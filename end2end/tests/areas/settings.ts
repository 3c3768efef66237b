import { expect, Page } from "@playwright/test";
import { hydrated, signedIn, ADMIN } from "../fixtures";

/** Settings (/admin/settings): the token policy's fields and Save. */
export class SettingsPage {
  constructor(readonly page: Page) {}

  async open() {
    await signedIn(this.page, ADMIN, "/admin/settings");
  }

  /** Goes to Settings from wherever the test is, already signed in. */
  async visit() {
    await this.page.goto("/admin/settings");
    await hydrated(this.page);
  }

  field(label: string) {
    return this.page.getByLabel(label);
  }

  /** The message next to the field `label`. */
  fieldError(label: string) {
    return this.page.locator(".field").filter({ has: this.field(label) }).getByRole("alert");
  }

  async save() {
    await this.page.getByRole("button", { name: "Save", exact: true }).click();
  }

  /** Saves and waits for "Settings saved.". */
  async saved() {
    await this.save();
    await expect(this.page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  }

  async reload() {
    await this.page.reload();
    await hydrated(this.page);
  }
}
