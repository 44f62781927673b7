// The `cask` binary as a user drives it: output and every exit code.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "catch2/catch.hpp"
#include "run_process.h"

namespace cask::testing {
namespace {

namespace fs = std::filesystem;

// A fresh store per test. The engine when this build has it, otherwise
// the fs store (both persist between invocations, unlike mem:).
struct TempStore {
  TempStore() {
    char tmpl[] = "/tmp/cask-cli-test.XXXXXX";
    dir = mkdtemp(tmpl);
    uri = std::string(CASK_CLI_TEST_SCHEME) + "://" + dir + "/store";
  }
  ~TempStore() { fs::remove_all(dir); }
  std::string dir, uri;
};

ProcessResult Cask(const std::string& store, std::vector<std::string> args,
                   const std::string& in = "") {
  std::vector<std::string> argv = {CASK_BINARY, "--store", store};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, in);
}

std::string Chomp(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

TEST_CASE("set prints the etag; get prints the value; meta agrees", "[cli]") {
  TempStore t;
  ProcessResult set = Cask(t.uri, {"set", "greeting", "hello world"});
  REQUIRE(set.exit_code == 0);
  std::string etag = Chomp(set.out);
  REQUIRE_FALSE(etag.empty());
  ProcessResult get = Cask(t.uri, {"get", "greeting"});
  REQUIRE(get.exit_code == 0);
  REQUIRE(get.out == "hello world");
  ProcessResult meta = Cask(t.uri, {"meta", "greeting"});
  REQUIRE(meta.exit_code == 0);
  REQUIRE(meta.out.find("etag: " + etag + "\n") != std::string::npos);
  REQUIRE(meta.out.find("size: 11\n") != std::string::npos);
  ProcessResult json = Cask(t.uri, {"--json", "meta", "greeting"});
  REQUIRE(json.exit_code == 0);
  REQUIRE(json.out.find("\"etag\":\"" + etag + "\"") != std::string::npos);
}

TEST_CASE("global flags work before or after the subcommand", "[cli]") {
  TempStore t;
  std::string etag =
      Chomp(RunProcess({CASK_BINARY, "set", "k", "v", "--store", t.uri}).out);
  REQUIRE_FALSE(etag.empty());
  std::string want = "\"etag\":\"" + etag + "\"";
  ProcessResult after =
      RunProcess({CASK_BINARY, "meta", "k", "--json", "--store", t.uri});
  INFO(after.err);
  REQUIRE(after.exit_code == 0);
  REQUIRE(after.out.find(want) != std::string::npos);
  ProcessResult mixed =
      RunProcess({CASK_BINARY, "--store", t.uri, "meta", "--json", "k"});
  REQUIRE(mixed.exit_code == 0);
  REQUIRE(mixed.out.find(want) != std::string::npos);
  ProcessResult keys =
      RunProcess({CASK_BINARY, "keys", "--store=" + t.uri, "--json"});
  REQUIRE(keys.exit_code == 0);
  REQUIRE(keys.out == "[\"k\"]\n");
}

TEST_CASE("set reads stdin byte for byte", "[cli]") {
  TempStore t;
  std::string binary("a\0b\xff\n", 5);
  REQUIRE(Cask(t.uri, {"set", "bin"}, binary).exit_code == 0);
  REQUIRE(Cask(t.uri, {"set", "bin2", "-"}, binary).exit_code == 0);
  REQUIRE(Cask(t.uri, {"get", "bin"}).out == binary);
  REQUIRE(Cask(t.uri, {"get", "bin2"}).out == binary);
}

TEST_CASE("exit 1: not found", "[cli]") {
  TempStore t;
  REQUIRE(Cask(t.uri, {"set", "present", "x"}).exit_code == 0);
  ProcessResult r = Cask(t.uri, {"get", "missing"});
  REQUIRE(r.exit_code == 1);
  REQUIRE(r.out.empty());
  REQUIRE(r.err.find("missing") != std::string::npos);
  REQUIRE(Cask(t.uri, {"meta", "missing"}).exit_code == 1);
}

TEST_CASE("exit 2: usage and invalid input", "[cli]") {
  TempStore t;
  REQUIRE(Cask(t.uri, {}).exit_code == 2);
  REQUIRE(Cask(t.uri, {"frobnicate"}).exit_code == 2);
  REQUIRE(Cask(t.uri, {"get"}).exit_code == 2);
  ProcessResult bad_key = Cask(t.uri, {"set", "a/../b", "x"});
  REQUIRE(bad_key.exit_code == 2);
  REQUIRE(bad_key.err.find("..") != std::string::npos);
  REQUIRE(
      Cask(t.uri, {"set", "k", "v", "--if-match", "\"unbalanced"}).exit_code ==
      2);
  REQUIRE(Cask(t.uri, {"set", "k", "v", "--if-match", "*,abc"}).exit_code == 2);
  REQUIRE(Cask(t.uri, {"set", "k", "v", "--ttl", "-1"}).exit_code == 2);
  REQUIRE(Cask("nope:", {"keys"}).exit_code == 2);
  REQUIRE(Cask(t.uri, {"keys"}).out.empty());  // nothing was written
  ProcessResult help = RunProcess({CASK_BINARY, "--help"});
  REQUIRE(help.exit_code == 0);
  REQUIRE(help.out.find("commit") != std::string::npos);
}

TEST_CASE("exit 3: CAS mismatch; exit 0 when the precondition holds", "[cli]") {
  TempStore t;
  std::string e1 =
      Chomp(Cask(t.uri, {"set", "ref", "v1", "--if-none-match", "*"}).out);
  REQUIRE_FALSE(e1.empty());
  ProcessResult again =
      Cask(t.uri, {"set", "ref", "v2", "--if-none-match", "*"});
  REQUIRE(again.exit_code == 3);
  REQUIRE(again.err.find("ref") != std::string::npos);
  ProcessResult swap = Cask(t.uri, {"set", "ref", "v2", "--if-match", e1});
  REQUIRE(swap.exit_code == 0);
  std::string e2 = Chomp(swap.out);
  // Quoted HTTP-style etags are accepted too.
  REQUIRE(Cask(t.uri, {"set", "ref", "v3", "--if-match", "\"" + e1 + "\""})
              .exit_code == 3);
  REQUIRE(Cask(t.uri, {"rm", "ref", "--if-match", e1}).exit_code == 3);
  REQUIRE(Cask(t.uri, {"get", "ref"}).out == "v2");
  REQUIRE(
      Cask(t.uri, {"rm", "ref", "--if-match", "\"" + e2 + "\""}).exit_code ==
      0);
  REQUIRE(Cask(t.uri, {"get", "ref"}).exit_code == 1);
  ProcessResult json =
      Cask(t.uri, {"--json", "set", "x", "1", "--if-match", "*"});
  REQUIRE(json.exit_code == 3);
  REQUIRE(json.out.find("\"conflicts\"") != std::string::npos);
}

TEST_CASE("exit 4: CAS unsupported", "[cli]") {
  ProcessResult r = Cask("null:", {"set", "k", "v", "--if-none-match", "*"});
  REQUIRE(r.exit_code == 4);
  REQUIRE(r.err.find("CAS unsupported") != std::string::npos);
  REQUIRE(Cask("null:", {"commit"}, "create a 1\n").exit_code == 4);
}

#ifdef CASK_CLI_TEST_UNAVAILABLE_URI
TEST_CASE("exit 5: backend unavailable", "[cli]") {
  ProcessResult r = Cask(CASK_CLI_TEST_UNAVAILABLE_URI, {"get", "k"});
  INFO(r.err);
  REQUIRE(r.exit_code == 5);
  REQUIRE(r.err.find("UNAVAILABLE") != std::string::npos);
}
#endif

TEST_CASE("exit 6: any other error (a corrupt dump)", "[cli]") {
  TempStore t;
  REQUIRE(Cask(t.uri, {"set", "k", "v"}).exit_code == 0);
  std::string dump = Cask(t.uri, {"export"}).out;
  REQUIRE(dump.size() > 12);
  dump.back() ^= 0x55;
  ProcessResult r = Cask(t.uri, {"import"}, dump);
  REQUIRE(r.exit_code == 6);
  REQUIRE(r.err.find("corrupt") != std::string::npos);
}

// Bounded memory on bad input: an endless stdin under a 1.5 GB address
// space cap. Reading stops at the store's value limit instead of reading
// (and holding) everything first.
TEST_CASE("set - stops reading stdin at the value limit", "[cli][limits]") {
  if (std::string(CASK_CLI_TEST_SCHEME) != "cask") return;  // needs a limit
  TempStore t;
  std::string uri = t.uri + "?max_value_bytes=1048576";
  ProcessResult ok = Cask(uri, {"set", "small", "-"}, std::string(1000, 'x'));
  REQUIRE(ok.exit_code == 0);
  ProcessResult r = RunProcess(
      {"/bin/sh", "-c",
       "ulimit -v 1500000; exec \"$0\" --store \"$1\" set big - < /dev/zero",
       CASK_BINARY, uri});
  INFO(r.err);
  REQUIRE(r.exit_code == 6);  // kResourceExhausted
  REQUIRE(r.err.find("RESOURCE_EXHAUSTED") != std::string::npos);
  REQUIRE(r.err.find("1048576") != std::string::npos);
  REQUIRE(Cask(uri, {"get", "big"}).exit_code == 1);
}

// Whatever a user typed comes back capped and escaped: no megabytes of
// echo, no raw control bytes reaching the terminal.
TEST_CASE("error messages cap and escape echoed input", "[cli][limits]") {
  TempStore t;
  std::string etag = "\x1b[31m" + std::string(100000, 'e');
  ProcessResult r = Cask(t.uri, {"set", "k", "v", "--if-match", etag});
  INFO(r.err.substr(0, 300));
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.err.size() < 2000);
  REQUIRE(r.err.find('\x1b') == std::string::npos);
  REQUIRE(r.err.find("\\x1b[31m") != std::string::npos);
  std::string key = "\x1b]0;title\x07" + std::string(500, 'k');
  ProcessResult get = Cask(t.uri, {"get", key});
  INFO(get.err.substr(0, 300));
  REQUIRE(get.exit_code == 1);
  REQUIRE(get.err.size() < 2000);
  REQUIRE(get.err.find('\x1b') == std::string::npos);
  REQUIRE(get.err.find('\x07') == std::string::npos);
  ProcessResult commit =
      Cask(t.uri, {"commit"}, "\x1b[2J" + std::string(100000, 'o') + " a b\n");
  INFO(commit.err.substr(0, 300));
  REQUIRE(commit.exit_code == 2);
  REQUIRE(commit.err.size() < 2000);
  REQUIRE(commit.err.find('\x1b') == std::string::npos);
}

// Found by fuzz_batch_parser: a quoted empty first token read a character
// of an empty string.
TEST_CASE("commit input: an empty first token is an unknown operation",
          "[cli]") {
  TempStore t;
  ProcessResult r = Cask(t.uri, {"commit"}, "\"\" a b\n");
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.err.find("line 1") != std::string::npos);
}

TEST_CASE("keys --limit --after and scan page through the store", "[cli]") {
  TempStore t;
  for (const char* k : {"a:1", "a:2", "a:3", "b:1"}) {
    REQUIRE(Cask(t.uri, {"set", k, "v"}).exit_code == 0);
  }
  REQUIRE(Cask(t.uri, {"keys", "a", "--limit", "2"}).out == "a:1\na:2\n");
  REQUIRE(Cask(t.uri, {"keys", "a", "--after", "a:2"}).out == "a:3\n");
  REQUIRE(Cask(t.uri, {"keys", "--after", "a:9", "--limit", "5"}).out ==
          "b:1\n");
  REQUIRE(Cask(t.uri, {"--json", "keys", "a", "--limit", "1"}).out ==
          "[\"a:1\"]\n");
  ProcessResult scan = Cask(t.uri, {"scan", "b", "--values"});
  REQUIRE(scan.exit_code == 0);
  REQUIRE(scan.out.rfind("b:1\t", 0) == 0);
  REQUIRE(scan.out.substr(scan.out.size() - 5) == "\t1\tv\n");
  ProcessResult json = Cask(t.uri, {"--json", "scan", "a", "--after", "a:1"});
  REQUIRE(json.exit_code == 0);
  REQUIRE(std::count(json.out.begin(), json.out.end(), '\n') == 2);
  REQUIRE(json.out.find("\"key\":\"a:2\"") != std::string::npos);
  REQUIRE(Cask(t.uri, {"scan", "a", "--limit", "0", "--after", "a:3"}).out ==
          "");
  // Values are C-escaped, so a tab or newline cannot split the line.
  REQUIRE(Cask(t.uri, {"set", "c:1", "x\ty\n"}).exit_code == 0);
  ProcessResult escaped = Cask(t.uri, {"scan", "c", "--values"});
  REQUIRE(escaped.out.size() > 8);
  REQUIRE(escaped.out.substr(escaped.out.size() - 8) == "\tx\\ty\\n\n");
}

TEST_CASE("keys, clear and base", "[cli]") {
  TempStore t;
  for (const char* k : {"a:1", "a:2", "b:1"}) {
    REQUIRE(Cask(t.uri, {"set", k, "v"}).exit_code == 0);
  }
  REQUIRE(Cask(t.uri, {"keys"}).out == "a:1\na:2\nb:1\n");
  REQUIRE(Cask(t.uri, {"keys", "a"}).out == "a:1\na:2\n");
  REQUIRE(Cask(t.uri, {"--json", "keys", "a"}).out == "[\"a:1\",\"a:2\"]\n");
  REQUIRE(Cask(t.uri, {"clear", "a"}).exit_code == 0);
  REQUIRE(Cask(t.uri, {"keys"}).out == "b:1\n");
}

TEST_CASE("commit: all or nothing from stdin", "[cli]") {
  TempStore t;
  std::string e = Chomp(Cask(t.uri, {"set", "refs:main", "c1"}).out);
  ProcessResult ok = Cask(t.uri, {"commit"},
                          "# move main, add an object\n"
                          "update refs:main c2 " +
                              e +
                              "\n"
                              "create objects:c2 \"tree with\\x20spaces\\n\"\n"
                              "verify refs:none\n");
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  REQUIRE(ok.out.find("put refs:main ") == 0);
  REQUIRE(Cask(t.uri, {"get", "objects:c2"}).out == "tree with spaces\n");
  // A stale etag fails the whole batch.
  ProcessResult stale =
      Cask(t.uri, {"commit"}, "update refs:main c3 " + e + "\ncreate new 1\n");
  REQUIRE(stale.exit_code == 3);
  REQUIRE(stale.err.find("refs:main") != std::string::npos);
  REQUIRE(Cask(t.uri, {"get", "new"}).exit_code == 1);
  REQUIRE(Cask(t.uri, {"get", "refs:main"}).out == "c2");
  // Malformed input.
  REQUIRE(Cask(t.uri, {"commit"}, "upsert a 1\n").exit_code == 2);
  REQUIRE(Cask(t.uri, {"commit"}, "create a \"open\n").exit_code == 2);
  REQUIRE(Cask(t.uri, {"commit"}, "create a 1\ncreate a 2\n").exit_code == 2);
}

TEST_CASE("export | import moves data between stores", "[cli]") {
  TempStore src, dst;
  std::string big(3 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
  REQUIRE(Cask(src.uri, {"set", "big"}, big).exit_code == 0);
  REQUIRE(Cask(src.uri, {"set", "a:b", "1"}).exit_code == 0);
  REQUIRE(Cask(src.uri, {"set", "c", ""}).exit_code == 0);
  ProcessResult dump = Cask(src.uri, {"export"});
  REQUIRE(dump.exit_code == 0);
  REQUIRE(Cask(dst.uri, {"import"}, dump.out).exit_code == 0);
  REQUIRE(Cask(dst.uri, {"keys"}).out == "a:b\nbig\nc\n");
  REQUIRE(Cask(dst.uri, {"get", "big"}).out == big);
  // A base exports only its subtree.
  ProcessResult part = Cask(src.uri, {"export", "a"});
  TempStore third;
  REQUIRE(Cask(third.uri, {"import"}, part.out).exit_code == 0);
  REQUIRE(Cask(third.uri, {"keys"}).out == "a:b\n");
}

TEST_CASE("import refuses a truncated dump", "[cli]") {
  TempStore src, dst;
  for (int i = 0; i < 100; ++i) {
    REQUIRE(Cask(src.uri, {"set", "k" + std::to_string(i), "v"}).exit_code ==
            0);
  }
  std::string dump = Cask(src.uri, {"export"}).out;
  std::string truncated = dump.substr(0, dump.size() - 3);
  ProcessResult r = Cask(dst.uri, {"import"}, truncated);
  REQUIRE(r.exit_code == 6);
  REQUIRE(r.err.find("truncated") != std::string::npos);
  REQUIRE(Cask(dst.uri, {"import"}, "not a dump").exit_code == 2);
}

}  // namespace
}  // namespace cask::testing

namespace cask::testing {
namespace {

TEST_CASE("a read of a store that does not exist creates nothing", "[cli]") {
  if (std::string(CASK_CLI_TEST_SCHEME) != "cask") {
    WARN("SKIPPED: needs the engine in this build");
    return;
  }
  TempStore t;
  const std::string uri = "cask://" + t.dir + "/a/b/store";
  for (const char* command : {"get", "meta"}) {
    ProcessResult r = Cask(uri, {command, "k"});
    INFO(r.err);
    REQUIRE(r.exit_code == 1);
  }
  REQUIRE(Cask(uri, {"keys"}).exit_code == 1);
  REQUIRE_FALSE(fs::exists(t.dir + "/a"));
}

TEST_CASE("a store without CURRENT is refused, kept, and repaired", "[cli]") {
  if (std::string(CASK_CLI_TEST_SCHEME) != "cask") {
    WARN("SKIPPED: needs the engine in this build");
    return;
  }
  TempStore t;
  std::vector<std::string> etags;
  for (int i = 1; i <= 3; ++i) {
    ProcessResult set = Cask(t.uri, {"set", "k" + std::to_string(i), "v"});
    REQUIRE(set.exit_code == 0);
    etags.push_back(Chomp(set.out));
  }
  fs::remove(t.dir + "/store/CURRENT");
  for (int attempt = 0; attempt < 2; ++attempt) {
    ProcessResult get = Cask(t.uri, {"get", "k1"});
    INFO(get.err);
    REQUIRE(get.exit_code == 6);
    REQUIRE(get.err.find("DATA_LOSS") != std::string::npos);
    REQUIRE(Cask(t.uri, {"set", "k4", "v"}).exit_code == 6);
  }
  ProcessResult repair = Cask(t.uri, {"repair"});
  INFO(repair.err);
  REQUIRE(repair.exit_code == 0);
  REQUIRE(repair.out.find("no longer match") != std::string::npos);
  REQUIRE(Cask(t.uri, {"get", "k1"}).out == "v");
  ProcessResult cas = Cask(t.uri, {"set", "k1", "x", "--if-match", etags[0]});
  REQUIRE(cas.exit_code == 3);
}

// `cask serve` and plain CLI calls on one store directory at once: the
// first opener owns the store and serves the others (docs/processes.md).
TEST_CASE("the CLI works on a store that cask serve holds open", "[cli]") {
  if (std::string(CASK_CLI_TEST_SCHEME) != "cask" ||
      RunProcess({CASK_BINARY, "--help"}).out.find("serve") ==
          std::string::npos) {
    WARN("SKIPPED: needs the engine and cask serve in this build");
    return;
  }
  TempStore t;
  int out[2];
  REQUIRE(pipe(out) == 0);
  pid_t server = fork();
  REQUIRE(server >= 0);
  if (server == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl(CASK_BINARY, CASK_BINARY, "--store", t.uri.c_str(), "serve", "--port",
          "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string url;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') url.push_back(c);
  close(out[0]);
  INFO("server said: " << url);
  REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);

  // A CLI process on the same directory while the server owns it.
  ProcessResult set = Cask(t.uri, {"set", "shared", "from-cli"});
  INFO(set.err);
  REQUIRE(set.exit_code == 0);
  std::string etag = Chomp(set.out);
  // The server sees it at once, with the same etag.
  ProcessResult over_http = Cask(url, {"meta", "shared"});
  REQUIRE(over_http.exit_code == 0);
  REQUIRE(over_http.out.find("etag: " + etag + "\n") != std::string::npos);
  // A swap through the server, then a stale swap from the CLI.
  REQUIRE(
      Cask(url, {"set", "shared", "from-http", "--if-match", etag}).exit_code ==
      0);
  REQUIRE(
      Cask(t.uri, {"set", "shared", "stale", "--if-match", etag}).exit_code ==
      3);

  // SIGTERM drains and exits 0; the next CLI call takes the store over.
  REQUIRE(kill(server, SIGTERM) == 0);
  int status = 0;
  REQUIRE(waitpid(server, &status, 0) == server);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(Cask(t.uri, {"get", "shared"}).out == "from-http");
}

}  // namespace
}  // namespace cask::testing
