import * as http from "node:http";
import * as crypto from "node:crypto";
import { AddressInfo } from "node:net";
import { test, expect, hydrated, openDialog, seriousFindings, ADMIN, signedIn } from "./fixtures";
import { TokensPage } from "./areas/tokens";

// Settings > Webhooks against a real HTTP receiver: added with a secret shown once, events
// arrive signed as Standard Webhooks says, the delivery log shows each attempt, and
// "Redeliver" sends the same webhook-id again.

type Received = { id: string; timestamp: string; signature: string; body: string };

function startReceiver(): Promise<{ url: string; received: Received[]; close: () => void }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        body,
      });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/hook`, received, close: () => server.close() });
    }),
  );
}

function signedBy(event: Received, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = crypto
    .createHmac("sha256", key)
    .update(`${event.id}.${event.timestamp}.${event.body}`)
    .digest("base64");
  return event.signature.split(" ").includes(`v1,${expected}`);
}

test("A webhook is added, receives signed events, and redelivers from its log", async ({ page }) => {
  const receiver = await startReceiver();
  try {
    await signedIn(page, ADMIN, "/admin/settings");
    const section = page.getByRole("region", { name: "Webhooks" });
    await expect(section).toBeVisible();

    const add = await openDialog(page, "+ Webhook", "Add webhook");
    await add.getByLabel("URL").fill(receiver.url);
    await add.getByRole("button", { name: "Add" }).click();
    await expect(add.getByRole("alert").filter({ hasText: "Choose at least one event" })).toBeVisible();
    await add.getByLabel(/^Token created/).check();
    await add.getByRole("button", { name: "Add" }).click();

    const created = page.getByRole("dialog", { name: "Webhook created" });
    await expect(created).toBeVisible();
    await expect(created).toContainText("It is not shown again.");
    await created.getByRole("button", { name: "Show secret" }).click();
    const secret = (await created.getByLabel("Signing secret").textContent())!.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    await created.getByRole("button", { name: "Close" }).click();
    await expect(created).toBeHidden();
    expect(await page.content()).not.toContain(secret);
    const row = section.locator("tbody tr").filter({ hasText: receiver.url });
    await expect(row).toContainText("Token created");

    // An event: a token created on My account arrives signed, without its secret.
    await page.goto("/me/tokens");
    await hydrated(page);
    const token = await new TokensPage(page).generate(page, "webhook-e2e");
    const value = (await token.getByLabel("Access token").textContent())!.trim();
    await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(1);
    const event = receiver.received[0];
    expect(JSON.parse(event.body).type).toBe("token.created");
    expect(signedBy(event, secret)).toBe(true);
    expect(event.body).not.toContain(value);

    // The log shows the attempt; Redeliver sends the same webhook-id again.
    await page.goto("/admin/settings");
    await hydrated(page);
    const log = await openDialog(page, `Deliveries ${receiver.url}`, "Deliveries");
    const delivery = log.locator("tbody tr").filter({ hasText: event.id });
    await expect(delivery).toContainText("token.created");
    await expect(delivery).toContainText("Delivered");
    await expect(delivery).toContainText("HTTP 204");
    await delivery.getByRole("button", { name: `Redeliver ${event.id}` }).click();
    await expect(log.getByRole("status").filter({ hasText: "Queued" })).toBeVisible();
    await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(2);
    expect(receiver.received[1].id).toBe(event.id);
    expect(signedBy(receiver.received[1], secret)).toBe(true);

    // With a webhook and its log on the page: no serious accessibility findings, on a
    // phone too, and nothing wider than the window.
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await seriousFindings(page)).toEqual([]);
      const wider = await page.evaluate(() =>
        [...document.querySelectorAll("dialog[open] *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5).length,
      );
      expect(wider, "elements of the log wider than the window").toBe(0);
    }
    await log.getByRole("button", { name: "Close" }).click();
    await page.setViewportSize({ width: 375, height: 900 });
    expect(await seriousFindings(page)).toEqual([]);
  } finally {
    receiver.close();
  }
});

test("A webhook URL inside the network is refused by the server with its reason", async ({ page }) => {
  await signedIn(page, ADMIN, "/admin/settings");
  const add = await openDialog(page, "+ Webhook", "Add webhook");
  await add.getByLabel("URL").fill("ftp://example.com/hook");
  await add.getByLabel(/^Token revoked/).check();
  await add.getByRole("button", { name: "Add" }).click();
  await expect(add.getByRole("alert").filter({ hasText: "must start with https://" })).toBeVisible();
  await add.getByRole("button", { name: "Cancel" }).click();
  await expect(add).toBeHidden();
});
