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

test("the sign-in page loads no console code; a token page brings its group's pieces, named in the HTML, and no others", async ({ page, login }) => {
  const wasm: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) wasm.push(path);
  });
  // Each file once, however Chromium reports a preloaded one.
  const pieces = (paths: string[]) => [...new Set(paths)].filter((path) => !/^\/pkg\/tessera\./.test(path));

  const signInPage = await page.request.get("/login");
  expect(await signInPage.text()).not.toMatch(/split_|chunk_/);
  await login.open("/admin/tokens");
  expect(new Set(wasm).size).toBe(1);
  expect(wasm[0]).toMatch(/^\/pkg\/tessera\.[\w-]+\.wasm$/);

  await login.signInAndWait(ADMIN);
  // Marked hydrated only once the page's piece is: the first click counts, with no retry.
  await page.getByRole("button", { name: "+ Token" }).click();
  await expect(page.getByRole("dialog", { name: "Create token" })).toBeVisible();
  await page.keyboard.press("Escape");
  const loaded = pieces(wasm);
  expect(loaded.filter((path) => path.startsWith("/pkg/split_token_pages_"))).toHaveLength(1);
  expect(loaded.filter((path) => path.startsWith("/pkg/split_other_pages_"))).toHaveLength(0);
  // A console page served directly names its pieces for the browser to fetch at once.
  const tokensPage = await page.request.get("/admin/tokens");
  const preloaded = ((await tokensPage.text()).match(/<link [^>]*>/g) ?? [])
    .filter((link) => link.includes('rel="preload"'))
    .map((link) => link.match(/href="([^"]+)"/)?.[1] ?? "");
  expect(pieces(preloaded).length).toBeGreaterThan(0);
  for (const piece of loaded) expect(preloaded).toContain(piece);

  // The other group's piece arrives with its first page.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  expect(pieces(wasm).filter((path) => path.startsWith("/pkg/split_other_pages_"))).toHaveLength(1);
});
