// unstorage's own HTTP server (createStorageServer + memory driver), for
// the negotiation test and the benchmark. Prints "PORT <n>". GET
// /__cask_test_count answers {"PUT": n, "DELETE": n, ...}: how many
// requests of each method reached the storage handler.
import { createServer } from "node:http";
import { createStorage } from "unstorage";
import { createStorageServer } from "unstorage/server";
import memoryDriver from "unstorage/drivers/memory";

const storage = createStorage({ driver: memoryDriver() });
const server = createStorageServer(storage);
const counts = {};
const http = createServer((req, res) => {
  if (req.url === "/__cask_test_count") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(counts));
    return;
  }
  counts[req.method] = (counts[req.method] || 0) + 1;
  server.handle(req, res);
});
http.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`PORT ${http.address().port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => http.close(() => process.exit(0)));
}
