// A token's life through a client generated from the served OpenAPI document
// (openapi-typescript types, openapi-fetch calls): list, create, rename, regenerate with and
// without a body, revoke. Compiled with `tsc --strict`, so a wrongly typed operation fails
// before anything runs. TESSERA_URL and TESSERA_TOKEN (an administrator's) say where and who.
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const baseUrl = process.env.TESSERA_URL ?? "";
const adminToken = process.env.TESSERA_TOKEN ?? "";
assert.ok(baseUrl && adminToken, "set TESSERA_URL and TESSERA_TOKEN");

const as = (secret: string) =>
  createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${secret}` } });
const admin = as(adminToken);

/** The answer's body, after checking its status. */
function expect<T>(
  result: { data?: T; error?: unknown; response: Response },
  status: number,
): T {
  assert.equal(result.response.status, status, JSON.stringify(result.error));
  assert.ok(result.data !== undefined, `no body with ${status}`);
  return result.data;
}

const before = expect(await admin.GET("/api/v1/tokens", { params: { query: { limit: 200 } } }), 200);
assert.ok(before.items.some((token) => token.name === "clients"), "the caller's own token is listed");

const created = expect(
  await admin.POST("/api/v1/tokens", {
    body: { name: "TypeScript client", description: "openapi-fetch", scopes: ["profile:read"] },
  }),
  201,
);
// Only an imported token comes without its secret.
const secretOf = (issued: { secret?: string }) => issued.secret ?? assert.fail("no secret");
assert.match(secretOf(created), /^tsr_[0-9A-Za-z]{38}$/);
assert.equal(created.token.name, "TypeScript client");
assert.deepEqual(created.token.scopes, ["profile:read"]);
assert.equal(created.token.state, "effective");
const path = { id: created.token.id };

const renamed = expect(
  await admin.PATCH("/api/v1/tokens/{id}", {
    params: { path },
    body: { name: "TypeScript client, renamed" },
  }),
  200,
);
assert.equal(renamed.name, "TypeScript client, renamed");

// The body is optional: without one the old secret stops at once.
const regenerated = expect(await admin.POST("/api/v1/tokens/{id}/regenerate", { params: { path } }), 200);
assert.notEqual(secretOf(regenerated), secretOf(created));
assert.equal(regenerated.previous_valid_until ?? null, null);
const overlapping = expect(
  await admin.POST("/api/v1/tokens/{id}/regenerate", { params: { path }, body: { grace_seconds: 60 } }),
  200,
);
assert.ok(overlapping.previous_valid_until, "the replaced secret keeps working for a minute");

const me = expect(await as(secretOf(overlapping)).GET("/api/v1/me"), 200);
assert.equal(me.token.id, created.token.id);

const revoked = await admin.DELETE("/api/v1/tokens/{id}", { params: { path } });
assert.equal(revoked.response.status, 204);
const refused = await as(secretOf(overlapping)).GET("/api/v1/me");
assert.equal(refused.response.status, 401);
assert.equal(refused.error?.error.code, "token_revoked");

const after = expect(await admin.GET("/api/v1/tokens", { params: { query: { state: "revoked" } } }), 200);
const listed = after.items.find((token) => token.id === created.token.id);
assert.equal(listed?.reason, "revoked");
assert.ok(listed?.revoked_at, "listed with its removal date");
console.log(`TypeScript client: ${created.token.number} listed, created, renamed, regenerated twice, revoked`);
