// Shared by the sync tests: devices (an engine store + a Sync each), a
// remote that can be cut off, and the checks made at quiescence.
#ifndef CASK_TESTS_SYNC_SYNC_HARNESS_H_
#define CASK_TESTS_SYNC_SYNC_HARNESS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cask/driver.h"
#include "cask/sync.h"

namespace cask::synctest {

// A fresh directory under /tmp, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Test-only fault injection in front of a real remote: while cut, every
// call fails with kUnavailable before reaching the server (a partition);
// with lose_acks, a write reaches the server and its answer is replaced by
// kUnknown (a connection lost after the request was sent).
class TEST_PartitionedDriver final : public Driver {
 public:
  explicit TEST_PartitionedDriver(std::shared_ptr<Driver> inner)
      : inner_(std::move(inner)) {}
  std::atomic<bool> cut{false};
  std::atomic<bool> lose_acks{false};
  // Runs once, just before the next Commit reaches the server (a change
  // made on the remote between a round's pull and its push).
  std::function<void()> before_next_commit;

  std::string_view name() const override { return inner_->name(); }
  Capabilities capabilities() const override { return inner_->capabilities(); }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override;
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override;
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override;
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override;
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override;
  absl::Status DoClear(const std::string& base) override;
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override;
  absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit) override;
  absl::StatusOr<std::uint64_t> DoCurrentRevision() override;
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override;

 private:
  absl::Status Down() const;
  const std::shared_ptr<Driver> inner_;
};

struct Device {
  std::string name;
  std::unique_ptr<TempDir> dir;
  std::shared_ptr<Driver> local;
  std::shared_ptr<TEST_PartitionedDriver> remote;
  std::unique_ptr<Sync> sync;
};

// A device with a new engine store syncing with `remote`.
Device MakeDevice(const std::string& name, std::shared_ptr<Driver> remote,
                  SyncOptions options = {});

// Key -> value of every user key of `store`.
std::map<std::string, std::string> Contents(Driver& store);

// Runs sync rounds on every device until a whole pass moves nothing.
// Fails the test if a round errs or it does not settle.
void Quiesce(std::vector<Device*> devices);

// At quiescence: on every device, each key holds the remote's value unless
// the device lists a conflict on it. Returns the number of conflicts.
std::size_t CheckConvergedExceptConflicts(std::vector<Device*> devices,
                                          Driver& remote);

// Resolves every conflict (alternating keep-local / keep-remote / merged)
// and syncs until none is left; then every device equals the remote.
void ResolveAllAndConverge(std::vector<Device*> devices, Driver& remote);

// The randomized partition workload: `ops` steps of local writes and
// removes on random devices, direct writes to the remote, sync rounds,
// and calls to `set_remote_up(false/true)` (a real server stop / restart,
// or a cut). Checks every invariant at quiescence. Count from
// $CASK_SYNC_TEST_OPS when set.
void RunPartitionWorkload(std::vector<Device*> devices, Driver& remote,
                          const std::function<void(bool)>& set_remote_up,
                          int default_ops, std::uint64_t seed);

// The shared test server's URL for a remote kind (redis, postgres, etcd)
// from tests/servers/with-servers.sh's environment; empty when unset.
std::string RemoteServerUrl(const std::string& kind);

// `server_url` with a key prefix (Redis, etcd) or table (SQL) no other
// test uses, so each test starts from an empty remote.
std::string FreshRemoteUri(const std::string& server_url);

}  // namespace cask::synctest

#endif  // CASK_TESTS_SYNC_SYNC_HARNESS_H_
