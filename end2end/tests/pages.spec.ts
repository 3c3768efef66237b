import { test, expect, hydrated, seriousFindings, ADMIN, signedIn } from "./fixtures";

// Every page an administrator can reach, and the sign-in page.
const PAGES = [
  "/",
  "/me",
  "/me/tokens",
  "/me/sessions",
  "/admin/tokens",
  "/admin/users",
  "/admin/users/1",
  "/admin/settings",
  "/admin/audit",
  "/admin/endpoints",
  "/admin/endpoint-tokens",
  "/admin/tokens/1",
  "/me/tokens/1",
  "/admin/endpoints/1",
  "/admin/endpoints/1?tab=data",
  "/admin/endpoints/1?tab=tokens",
  "/admin/users/1?tab=tokens",
  "/admin/users/1?tab=sessions",
];
const WIDTHS = [1280, 375];

function fileName(path: string, width: number) {
  const slug = path === "/" ? "home" : path.slice(1).replace(/[/?=]/g, "-");
  return `test-results/screenshots/${slug}-${width}.png`;
}

test("the sign-in page has no serious accessibility findings", async ({ page }) => {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/login");
    await hydrated(page);
    expect(await seriousFindings(page)).toEqual([]);
    await page.screenshot({ path: fileName("/login", width), fullPage: true });
  }
});

// One test per page and width, so that each stays well inside the test timeout.
for (const width of WIDTHS) {
  for (const path of PAGES) {
    test(`${path} at ${width} px: no serious accessibility findings, no sideways scrolling`, async ({ page }) => {
      await page.setViewportSize({ width, height: 900 });
      await signedIn(page, ADMIN, path);
      await expect(page).toHaveURL(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      expect(await seriousFindings(page)).toEqual([]);
      // Nothing may force sideways scrolling: not the page, and on a phone not even inside a
      // box (tables become cards there).
      const sticking = await page.evaluate((phone) => {
        if (!phone && document.documentElement.scrollWidth <= window.innerWidth) return [];
        // Name the outermost elements that stick out, for a message worth reading.
        return [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .filter((e) => !e.parentElement || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
          .map((e) => `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent ?? "").trim().slice(0, 40)}"`);
      }, width < 640);
      expect(sticking, "elements wider than the window").toEqual([]);
      await page.screenshot({ path: fileName(path, width), fullPage: true });
    });
  }
}
