import { test, expect, hydrated, ADMIN, VIEWER } from "./fixtures";

const ADMIN_ITEMS = ["Tokens", "Users", "Endpoints", "Endpoint tokens", "Audit log", "Settings"];

test("the administrator signs in, sees the Administration menu and signs out", async ({ page, login }) => {
  await login.open();
  await login.signIn(ADMIN);
  await expect(page).toHaveURL("/");
  await hydrated(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Administration" })).toBeVisible();
  for (const item of ADMIN_ITEMS) {
    await expect(nav.getByRole("link", { name: item, exact: true })).toBeVisible();
  }
  await nav.getByRole("link", { name: "Users", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(page.getByRole("link", { name: "admin", exact: true })).toBeVisible();

  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL("/login");
  // The session is gone on the server: a protected page sends us back to sign in.
  await page.goto("/admin/tokens");
  await expect(page).toHaveURL("/login?next=%2Fadmin%2Ftokens");
});

test("an anonymous visitor lands on the page they asked for after signing in", async ({ page, login }) => {
  await login.open("/admin/audit");
  await expect(page).toHaveURL("/login?next=%2Fadmin%2Faudit");
  await login.signIn(ADMIN);
  await expect(page).toHaveURL("/admin/audit");
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
});

test("a user who is not an administrator sees no Administration menu and gets 403", async ({ page, login }) => {
  await login.open();
  await login.signIn(VIEWER);
  await expect(page).toHaveURL("/");
  await expect(page.getByRole("link", { name: "My account" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Administration" })).toHaveCount(0);

  const response = await page.goto("/admin/tokens");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1, name: "403 Forbidden" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Tokens" })).toHaveCount(0);
});

test("a wrong password shows Invalid username or password", async ({ page, login }) => {
  await login.open();
  await login.signIn({ username: VIEWER.username, password: "not-my-password-9" });
  await expect(page.getByRole("alert")).toHaveText("Invalid username or password");
  await expect(page).toHaveURL("/login");
});

test("the page is interactive once the WebAssembly runs: Show password reveals it", async ({ page, login }) => {
  await login.open();
  const password = page.getByRole("textbox", { name: "Password", exact: true });
  await password.fill("visible-secret");
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show password" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(page.getByRole("button", { name: "Hide password" })).toHaveAttribute("aria-pressed", "true");
  await page.getByRole("button", { name: "Hide password" }).click();
  await expect(password).toHaveAttribute("type", "password");
});

test("the sign-in page loads no console code; the first console page brings its piece, named in the HTML", async ({ page, login }) => {
  const wasm: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) wasm.push(path);
  });
  const consolePiece = /\/pkg\/split_console_page[\w.-]*\.wasm/;

  const signInPage = await page.request.get("/login");
  expect(await signInPage.text()).not.toMatch(consolePiece);
  await login.open("/admin/tokens");
  expect(wasm).toHaveLength(1);
  expect(wasm[0]).toMatch(/^\/pkg\/tessera\.[\w-]+\.wasm$/);

  await login.signInAndWait(ADMIN);
  await expect(page.getByRole("heading", { level: 1, name: "Tokens" })).toBeVisible();
  expect(wasm.filter((path) => consolePiece.test(path))).toHaveLength(1);
  // A console page served directly names its piece for the browser to fetch at once.
  const tokensPage = await page.request.get("/admin/tokens");
  const links = (await tokensPage.text()).match(/<link [^>]*>/g) ?? [];
  expect(links.filter((link) => link.includes('rel="preload"') && consolePiece.test(link)).length).toBeGreaterThan(0);
});
