import { expect, Page } from "@playwright/test";
import { hydrated, openDialog, signedIn, ADMIN } from "../fixtures";

/** Endpoints (/admin/endpoints) and an endpoint's page. */
export class EndpointsPage {
  constructor(readonly page: Page) {}

  async open() {
    await signedIn(this.page, ADMIN, "/admin/endpoints");
  }

  /** The "Create endpoint" dialog, open. */
  createDialog() {
    return openDialog(this.page, "+ Endpoint", "Create endpoint");
  }

  /** Creates an endpoint without authentication and opens its page; answers that page's path. */
  async create(name: string, path: string) {
    const dialog = await this.createDialog();
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("Path").fill(path);
    await dialog.getByRole("button", { name: "Create" }).click();
    await expect(this.page).toHaveURL(/\/admin\/endpoints\/\d+$/);
    await hydrated(this.page);
    return new URL(this.page.url()).pathname;
  }

  /** Records the endpoint takes, at `path`. */
  static records(path: string) {
    return `/api/v1/endpoints/${path}/records`;
  }
}
