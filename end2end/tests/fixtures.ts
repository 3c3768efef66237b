import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, Browser, Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";

export type User = { username: string; password: string };
export const ADMIN: User = { username: "admin", password: "granite-meadow-lantern-77" };
export const VIEWER: User = { username: "viewer", password: "copper-violet-harbour-31" };

/** Where the "sign-in" project keeps `user`'s signed-in browser state (auth.setup.ts). */
export function stateFile(user: User) {
  return path.join(__dirname, "..", ".auth", `${user.username}.json`);
}

/**
 * Opens `path` as `user`, with the session the "sign-in" project signed in through the form
 * once per role: the tests of sign-in itself use the form (LoginPage), every other test
 * starts here.
 */
export async function signedIn(page: Page, user: User, to: string) {
  const state = JSON.parse(fs.readFileSync(stateFile(user), "utf8"));
  await page.context().addCookies(state.cookies);
  await page.goto(to);
  await hydrated(page);
}

/** A second browser signed in as `user` through the form, with its own session. */
export async function elsewhere(browser: Browser, user: User, userAgent?: string) {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  const page = await context.newPage();
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(user.username);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  return { context, page };
}

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
  async signInAndWait(user: User) {
    await this.signIn(user);
    await expect(this.page).not.toHaveURL(/\/login/);
    await hydrated(this.page);
  }

  async signIn(user: User) {
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
