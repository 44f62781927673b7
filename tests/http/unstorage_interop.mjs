// unstorage's own npm client (createStorage + the http driver) against
// `cask serve`: node unstorage_interop.mjs <base URL>. Exits non-zero on
// the first failed check; prints one line per check.
import assert from "node:assert/strict";
import { createStorage } from "unstorage";
import httpDriver from "unstorage/drivers/http";

const base = process.argv[2];
const storage = createStorage({ driver: httpDriver({ base }) });
let checks = 0;
async function check(name, fn) {
  await fn();
  checks++;
  console.log(`ok ${checks} - ${name}`);
}

await check("clear leaves an empty store", async () => {
  await storage.clear();
  assert.deepEqual(await storage.getKeys(), []);
});
await check("set / get text", async () => {
  await storage.setItem("s1:a", "test_data");
  assert.equal(await storage.getItem("s1:a"), "test_data");
  assert.equal(await storage.getItem("s1/a"), "test_data");
});
await check("set / get a JSON object", async () => {
  await storage.setItem("obj", { a: 1, b: [true, "x"] });
  assert.deepEqual(await storage.getItem("obj"), { a: 1, b: [true, "x"] });
});
await check("has / missing key", async () => {
  assert.equal(await storage.hasItem("s1:a"), true);
  assert.equal(await storage.hasItem("nope"), false);
  assert.equal(await storage.getItem("nope"), null);
});
await check("raw bytes round-trip (NUL and high bytes)", async () => {
  const bytes = new Uint8Array([0, 1, 2, 255, 254, 0, 128, 10]);
  await storage.setItemRaw("bin:x", bytes);
  const back = await storage.getItemRaw("bin:x");
  assert.deepEqual(new Uint8Array(back), bytes);
});
await check("meta: mtime and ttl from HEAD", async () => {
  const before = Date.now() - 2000;
  await storage.setItem("t:ttl", "v", { ttl: 60 });
  const meta = await storage.getMeta("t:ttl");
  assert.ok(meta.mtime instanceof Date, "mtime is a Date");
  assert.ok(meta.mtime.getTime() >= before - 1000, "mtime is recent");
  assert.ok(meta.ttl > 0 && meta.ttl <= 60, `ttl ${meta.ttl}`);
});
await check("key$ meta entries: setMeta / getMeta, hidden from keys", async () => {
  await storage.setMeta("s1:a", { owner: "me" });
  const meta = await storage.getMeta("s1:a");
  assert.equal(meta.owner, "me");
  assert.ok(meta.mtime instanceof Date);
  const keys = await storage.getKeys();
  assert.ok(!keys.some((k) => k.endsWith("$")), keys.join(","));
});
await check("getKeys and getKeys(base)", async () => {
  assert.deepEqual((await storage.getKeys()).sort(),
                   ["bin:x", "obj", "s1:a", "t:ttl"]);
  assert.deepEqual(await storage.getKeys("s1"), ["s1:a"]);
});
await check("removeItem", async () => {
  await storage.removeItem("obj");
  assert.equal(await storage.hasItem("obj"), false);
});
await check("clear(base) removes only that subtree", async () => {
  // unstorage 1.17's storage.clear(base) never reaches a driver mounted at
  // the root (its getMounts("bin:") skips the "" mount), so send the http
  // driver's own wire request for it: DELETE <base>/bin/: (rBase).
  const r = await fetch(`${base}/bin/:`, { method: "DELETE" });
  assert.equal(r.status, 200);
  assert.equal(await r.text(), "OK");
  assert.deepEqual((await storage.getKeys()).sort(), ["s1:a", "t:ttl"]);
  await storage.clear();
  assert.deepEqual(await storage.getKeys(), []);
});

// Conditional writes through raw headers (unstorage's client has no
// preconditions; ofetch and fetch pass them through).
const url = (k) => `${base}/${k}`;
await check("server advertises CAS", async () => {
  const r = await fetch(url(""), { method: "HEAD" });
  assert.equal(r.headers.get("x-cask-cas"), "1");
});
await check("If-None-Match: * creates once, then 412", async () => {
  let r = await fetch(url("refs/main"), {
    method: "PUT", body: "c1", headers: { "if-none-match": "*" } });
  assert.equal(r.status, 200);
  assert.ok(r.headers.get("etag"));
  r = await fetch(url("refs/main"), {
    method: "PUT", body: "c2", headers: { "if-none-match": "*" } });
  assert.equal(r.status, 412);
  const body = await r.json();
  assert.equal(body.statusCode, 412);
  assert.equal(await storage.getItem("refs:main"), "c1");
});
await check("If-Match: stale 412, current 200 through unstorage's $fetch", async () => {
  const head = await fetch(url("refs/main"), { method: "HEAD" });
  const etag = head.headers.get("etag");
  let r = await fetch(url("refs/main"), {
    method: "PUT", body: "c2", headers: { "if-match": '"stale"' } });
  assert.equal(r.status, 412);
  r = await fetch(url("refs/main"), {
    method: "PUT", body: "c2", headers: { "if-match": etag } });
  assert.equal(r.status, 200);
  assert.notEqual(r.headers.get("etag"), etag);
  // The http driver forwards transaction headers too.
  await assert.rejects(
    storage.setItem("refs:main", "c3", { headers: { "if-match": etag } }),
    (e) => e?.response?.status === 412);
  assert.equal(await storage.getItem("refs:main"), "c2");
});
await check("conditional DELETE: stale 412, current 200", async () => {
  const etag = (await fetch(url("refs/main"), { method: "HEAD" })).headers.get("etag");
  let r = await fetch(url("refs/main"), {
    method: "DELETE", headers: { "if-match": '"stale"' } });
  assert.equal(r.status, 412);
  r = await fetch(url("refs/main"), { method: "DELETE", headers: { "if-match": etag } });
  assert.equal(r.status, 200);
  assert.equal(await storage.hasItem("refs:main"), false);
});
console.log(`unstorage interop: all ${checks} checks passed`);
