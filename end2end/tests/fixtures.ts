import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, Locator, Page } from "@playwright/test";

export const ADMIN = { username: "admin", password: "granite-meadow-lantern-77" };
export const VIEWER = { username: "viewer", password: "copper-violet-harbour-31" };

/** Serious and critical axe findings, as readable lines (empty when there are none). */
export async function seriousFindings(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Waits until the WebAssembly has taken over the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator("main[data-hydrated=true]")).toBeAttached();
}

/**
 * "Generate Access Token" in `within` (a page or a tab panel): the choices first (a name,
 * the default expiry and scopes), then "Generate"; answers the section showing the token.
 */
export async function generateAccessToken(page: Page, within: Page | Locator = page, name = "") {
  await within.getByRole("button", { name: "Generate Access Token" }).click();
  const form = within.getByRole("region", { name: "Generate access token" });
  if (name) await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Generate", exact: true }).click();
  const section = within.getByRole("region", { name: "New access token" });
  await expect(section).toBeVisible();
  return section;
}

/**
 * Opens the dialog `name` with the button `button`, clicking again until it shows: a click
 * that lands before the page has hydrated does nothing.
 */
export async function openDialog(page: Page, button: string, name: string) {
  const dialog = page.getByRole("dialog", { name });
  await expect(async () => {
    await page.getByRole("button", { name: button }).click();
    await expect(dialog).toBeVisible({ timeout: 1000 });
  }).toPass();
  return dialog;
}

/** Confirms the "Please confirm" dialog with its button `label`, checking Cancel had focus. */
export async function confirmWith(page: Page, label: string) {
  const dialog = page.getByRole("dialog", { name: "Please confirm" });
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await dialog.getByRole("button", { name: label, exact: true }).click();
  await expect(dialog).toBeHidden();
}

export class LoginPage {
  constructor(readonly page: Page) {}

  async open(path = "/login") {
    await this.page.goto(path);
    await hydrated(this.page);
  }

  /** Signs in and waits for the page it leads to to be hydrated (not the login page's). */
  async signInAndWait(user: { username: string; password: string }) {
    await this.signIn(user);
    await expect(this.page).not.toHaveURL(/\/login/);
    await hydrated(this.page);
  }

  async signIn(user: { username: string; password: string }) {
    await this.page.getByLabel("Username").fill(user.username);
    await this.page.getByRole("textbox", { name: "Password", exact: true }).fill(user.password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }
}

export const test = base.extend<{ login: LoginPage; noPageErrors: void }>({
  login: async ({ page }, use) => {
    await use(new LoginPage(page));
  },
  // Every test fails if a page panicked, failed to hydrate or broke its Content-Security-
  // Policy: such a page looks right but ignores every click, which other assertions would
  // only report as a timeout.
  noPageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error" && /hydration|panicked|Content Security Policy/i.test(m.text())) {
          errors.push(m.text());
        }
      });
      await use();
      expect(errors, "errors in the page").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
