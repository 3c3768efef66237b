import { test as setup } from "@playwright/test";
import { ADMIN, LoginPage, stateFile, VIEWER } from "./fixtures";

// Each role signs in through the form once; the other projects start from these sessions.
for (const user of [ADMIN, VIEWER]) {
  setup(`${user.username} signs in`, async ({ page }) => {
    const login = new LoginPage(page);
    await login.open();
    await login.signInAndWait(user);
    await page.context().storageState({ path: stateFile(user) });
  });
}
