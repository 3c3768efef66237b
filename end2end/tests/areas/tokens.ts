import { expect, Locator, Page } from "@playwright/test";
import { openDialog, signedIn, User, ADMIN } from "../fixtures";

/** Token lists (/admin/tokens, /me/tokens), their dialogs and "Generate Access Token". */
export class TokensPage {
  constructor(readonly page: Page) {}

  /** Opens the administrators' list, or `path` (e.g. `/me/tokens`) as `user`. */
  async open(user: User = ADMIN, path = "/admin/tokens") {
    await signedIn(this.page, user, path);
  }

  /** The "Create token" dialog, open. */
  createDialog() {
    return openDialog(this.page, "+ Token", "Create token");
  }

  /** The list's row of the token named `name`. */
  row(name: string) {
    return this.page.getByRole("row").filter({ hasText: name });
  }

  /**
   * "Generate Access Token" in `within` (the page or a tab panel): the choices first (a name,
   * the default expiry and scopes), then "Generate"; answers the section showing the token.
   */
  async generate(within: Page | Locator = this.page, name = "") {
    await within.getByRole("button", { name: "Generate Access Token" }).click();
    const form = within.getByRole("region", { name: "Generate access token" });
    if (name) await form.getByLabel("Name").fill(name);
    await form.getByRole("button", { name: "Generate", exact: true }).click();
    const section = within.getByRole("region", { name: "New access token" });
    await expect(section).toBeVisible();
    return section;
  }

  /** A generated token's secret, as its section shows it once. */
  static async secretIn(section: Locator) {
    return (await section.getByLabel("Access token").textContent())!.trim();
  }
}
