#include "workload.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"

namespace cask::lin {
namespace {

class Client {
 public:
  Client(Recorder& recorder, int client, const WorkloadOptions& options)
      : r_(recorder),
        client_(client),
        options_(options),
        rng_(options.seed * 1000003 + static_cast<std::uint64_t>(client)),
        commits_(options.commits) {}

  void Run() {
    for (int i = 0; i < options_.ops_per_client; ++i) One(i);
  }

 private:
  int Pick(int n) {
    return static_cast<int>(rng_() % static_cast<unsigned>(n));
  }
  std::string Key() { return absl::StrCat("k", Pick(options_.keys)); }

  // Remembers what a write or read revealed about `key`.
  void Saw(const std::string& key, const std::optional<std::string>& etag) {
    if (etag) {
      seen_[key] = *etag;
    } else {
      seen_.erase(key);
    }
  }
  void SawMismatch(const absl::Status& status) {
    for (const Conflict& c : Conflicts(status)) Saw(c.key, c.actual);
  }
  std::optional<std::string> Seen(const std::string& key) {
    auto it = seen_.find(key);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }

  void Get(const std::string& key) {
    absl::StatusOr<Item> item = r_.Get(key);
    if (item.ok()) {
      Saw(key, item->meta.etag);
    } else if (item.status().code() == absl::StatusCode::kNotFound) {
      Saw(key, std::nullopt);
    }
  }

  void Set(const std::string& key, const std::string& value,
           const Precondition& p) {
    absl::StatusOr<std::string> etag = r_.Set(key, value, p);
    if (etag.ok()) {
      Saw(key, *etag);
    } else {
      SawMismatch(etag.status());
    }
  }

  void Remove(const std::string& key, const Precondition& p) {
    absl::Status status = r_.Remove(key, p);
    if (status.ok()) {
      Saw(key, std::nullopt);
    } else {
      SawMismatch(status);
    }
  }

  void Commit(int n) {
    std::vector<BatchEntry> entries;
    std::vector<int> order(static_cast<std::size_t>(options_.keys));
    for (int i = 0; i < options_.keys; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng_);
    int size = std::min(options_.keys, 2 + Pick(2));
    for (int i = 0; i < size; ++i) {
      BatchEntry e;
      e.key = absl::StrCat("k", order[i]);
      std::optional<std::string> seen = Seen(e.key);
      int kind = Pick(100);
      e.kind = kind < 70   ? BatchOpKind::kPut
               : kind < 85 ? BatchOpKind::kDelete
                           : BatchOpKind::kVerify;
      int cond = Pick(100);
      if (seen && cond < 75) {
        e.precondition = Precondition::IfMatch(*seen);
      } else if (cond < 90 || e.kind == BatchOpKind::kVerify) {
        e.precondition =
            seen ? Precondition::MustExist() : Precondition::CreateOnly();
      }
      if (e.kind == BatchOpKind::kPut) {
        e.value = absl::StrCat("c", client_, "-", n, "-", i);
      }
      entries.push_back(std::move(e));
    }
    absl::StatusOr<CommitResult> result = r_.Commit(entries);
    if (result.ok()) {
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].kind == BatchOpKind::kPut) {
          Saw(entries[i].key, result->etags[i]);
        } else if (entries[i].kind == BatchOpKind::kDelete) {
          Saw(entries[i].key, std::nullopt);
        }
      }
    } else {
      SawMismatch(result.status());
    }
  }

  void One(int n) {
    std::string key = Key();
    std::string value = absl::StrCat("c", client_, "-", n);
    std::optional<std::string> seen = Seen(key);
    int dice = Pick(100);
    if (dice < 28) {
      Get(key);
    } else if (dice < 36) {
      Set(key, value, {});
    } else if (dice < 46) {
      Set(key, value, Precondition::CreateOnly());
    } else if (dice < 68) {
      if (seen) {
        Set(key, value, Precondition::IfMatch(*seen));
      } else {
        Get(key);
      }
    } else if (dice < 75) {
      Remove(key,
             seen ? Precondition::IfMatch(*seen) : Precondition::MustExist());
    } else if (dice < 79) {
      Remove(key, {});
    } else if (dice < 84) {
      Set(key, value,
          seen ? Precondition::IfNoneMatch(*seen) : Precondition::MustExist());
    } else if (commits_) {
      Commit(n);
    } else {
      Get(key);
    }
  }

  Recorder& r_;
  int client_;
  const WorkloadOptions& options_;
  std::mt19937_64 rng_;
  bool commits_;
  std::map<std::string, std::string> seen_;
};

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string ErrorLine(std::string_view message) {
  return absl::StrCat("error\t", absl::CEscape(ToAbsl(message)), "\n");
}

// The body of a forked client; returns the process's exit code.
int ChildMain(
    const std::function<absl::StatusOr<std::unique_ptr<Driver>>()>& open,
    const WorkloadOptions& options, int client, int go_fd, int out_fd) {
  absl::StatusOr<std::unique_ptr<Driver>> store = open();
  char byte;
  // Wait until every client is ready (the parent closes the pipe).
  while (read(go_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  if (!store.ok()) {
    return WriteAll(out_fd, ErrorLine(absl::StrCat("client ", client,
                                                   " cannot open the store: ",
                                                   store.status().ToString())))
               ? 0
               : 3;
  }
  bool written = true;
  Recorder recorder(**store, client);
  recorder.set_sink([&](RecordEvent event, const Operation& op) {
    std::string line;
    switch (event) {
      case RecordEvent::kCall:
        line = absl::StrCat("call\t", EncodeOperation(op), "\n");
        break;
      case RecordEvent::kDone:
        line = absl::StrCat("done\t", EncodeOperation(op), "\n");
        break;
      case RecordEvent::kDropped:
        line = "drop\n";
        break;
    }
    written = WriteAll(out_fd, line) && written;
  });
  RunClient(recorder, client, options);
  for (const std::string& e : recorder.unexpected()) {
    written =
        WriteAll(out_fd, ErrorLine(absl::StrCat("client ", client, ": ", e))) &&
        written;
  }
  return written ? 0 : 3;
}

// Replays one client's stream of events into `result`.
void ParseClientStream(const std::string& stream, RunResult& result) {
  std::optional<Operation> pending;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    std::size_t end = stream.find('\n', pos);
    if (end == std::string::npos) break;  // cut short by a kill
    std::string_view line(stream.data() + pos, end - pos);
    pos = end + 1;
    std::size_t tab = line.find('\t');
    std::string_view verb = line.substr(0, tab);
    std::string_view rest =
        tab == std::string_view::npos ? "" : line.substr(tab + 1);
    if (verb == "error") {
      std::string message;
      absl::CUnescape(ToAbsl(rest), &message);
      result.errors.push_back(std::move(message));
      continue;
    }
    if (verb == "drop") {
      pending.reset();
      continue;
    }
    absl::StatusOr<Operation> op = DecodeOperation(rest);
    if (!op.ok() || (verb != "call" && verb != "done")) {
      result.errors.push_back(
          absl::StrCat("bad line from a client: ", ToAbsl(line)));
      continue;
    }
    if (verb == "call") {
      pending = *std::move(op);
    } else {
      pending.reset();
      result.history.push_back(*std::move(op));
    }
  }
  // The client died with a write in flight: it may have taken effect.
  if (pending) result.history.push_back(*std::move(pending));
}

}  // namespace

void RunClient(Recorder& recorder, int client, const WorkloadOptions& options) {
  Client c(recorder, client, options);
  c.Run();
}

RunResult RunThreads(const std::vector<Driver*>& stores,
                     const WorkloadOptions& options) {
  std::vector<std::unique_ptr<Recorder>> recorders;
  for (int i = 0; i < options.clients; ++i) {
    recorders.push_back(std::make_unique<Recorder>(
        *stores[static_cast<std::size_t>(i) % stores.size()], i));
  }
  std::latch start(options.clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < options.clients; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      RunClient(*recorders[i], i, options);
    });
  }
  for (std::thread& t : threads) t.join();
  RunResult result;
  for (int i = 0; i < options.clients; ++i) {
    for (const Operation& op : recorders[i]->history()) {
      result.history.push_back(op);
    }
    for (const std::string& e : recorders[i]->unexpected()) {
      result.errors.push_back(absl::StrCat("client ", i, ": ", e));
    }
  }
  return result;
}

RunResult RunProcesses(
    const std::function<absl::StatusOr<std::unique_ptr<Driver>>()>& open,
    const WorkloadOptions& options) {
  RunResult result;
  int go[2];
  if (pipe(go) != 0) {
    result.errors.push_back("pipe failed");
    return result;
  }
  std::vector<pid_t> pids;
  std::vector<int> fds;
  for (int i = 0; i < options.clients; ++i) {
    int out[2];
    if (pipe(out) != 0) {
      result.errors.push_back("pipe failed");
      break;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(go[1]);
      close(out[0]);
      for (int fd : fds) close(fd);
      _exit(ChildMain(open, options, i, go[0], out[1]));
    }
    close(out[1]);
    if (pid < 0) {
      close(out[0]);
      result.errors.push_back("fork failed");
      break;
    }
    pids.push_back(pid);
    fds.push_back(out[0]);
  }
  close(go[0]);
  close(go[1]);  // releases every client at once
  std::vector<bool> killed(pids.size(), false);
  if (options.kill_client_after_us >= 0 && !pids.empty()) {
    std::this_thread::sleep_for(
        std::chrono::microseconds(options.kill_client_after_us));
    kill(pids[0], SIGKILL);
    killed[0] = true;
  }

  std::vector<std::string> buffers(fds.size());
  std::vector<pollfd> polls;
  for (int fd : fds) polls.push_back(pollfd{fd, POLLIN, 0});
  std::size_t open_fds = fds.size();
  while (open_fds > 0) {
    if (poll(polls.data(), polls.size(), -1) < 0) {
      if (errno == EINTR) continue;
      result.errors.push_back("poll failed");
      break;
    }
    for (std::size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].fd < 0 || polls[i].revents == 0) continue;
      char buf[65536];
      ssize_t n = read(polls[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        buffers[i].append(buf, static_cast<std::size_t>(n));
        continue;
      }
      close(polls[i].fd);
      polls[i].fd = -1;
      --open_fds;
    }
  }
  for (std::size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
    }
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    bool was_killed = killed[i] && WIFSIGNALED(status);
    if (!clean && !was_killed) {
      result.errors.push_back(
          absl::StrCat("client process ", i, " failed, wait status ", status));
    }
  }
  for (const std::string& buffer : buffers) ParseClientStream(buffer, result);
  return result;
}

int HistoriesToRun(int default_count) {
  const char* env = std::getenv("CASK_LIN_HISTORIES");
  int n = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &n) && n > 0) return n;
  return default_count;
}

}  // namespace cask::lin
