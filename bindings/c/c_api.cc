// The C API (cask/c.h): a thin shell over the C++ API. Every entry point
// catches nothing (the C++ API throws nothing) and turns absl::Status into
// a code and a malloc()ed message.
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cask/batch.h"
#include "cask/c.h"
#include "cask/driver.h"
#include "cask/open.h"

struct cask_store {
  std::unique_ptr<cask::Driver> driver;
};
struct cask_batch {
  cask::Batch batch;
};
struct cask_list {
  std::vector<std::string> items;
};
struct cask_change_list {
  std::vector<cask::ChangeEvent> events;
};

namespace {

char* CopyString(std::string_view s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out == nullptr) std::abort();
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

// Returns the code and, on failure, hands the message to *errmsg.
int Report(const absl::Status& status, char** errmsg) {
  if (!status.ok() && errmsg != nullptr) {
    std::free(*errmsg);
    *errmsg = CopyString(status.ToString());
  }
  return static_cast<int>(status.code());
}

int NullArgument(const char* what, char** errmsg) {
  return Report(absl::InvalidArgumentError(std::string(what) + " is NULL"),
                errmsg);
}

std::optional<std::vector<std::string>> Side(const char* etag) {
  if (etag == nullptr) return std::nullopt;
  return std::vector<std::string>{etag};
}

cask::Precondition ToPrecondition(const char* if_match,
                                  const char* if_none_match) {
  cask::Precondition p;
  p.if_match = Side(if_match);
  p.if_none_match = Side(if_none_match);
  return p;
}

// Record i, or nullptr when out of range (a C caller gets NULL / 0, never
// an exception).
const cask::ChangeEvent* EventAt(const cask_change_list* changes, size_t i) {
  if (changes == nullptr || i >= changes->events.size()) return nullptr;
  return &changes->events[i];
}

static_assert(CASK_CHANGE_PUT == static_cast<int>(cask::ChangeKind::kPut));
static_assert(CASK_CHANGE_DELETE ==
              static_cast<int>(cask::ChangeKind::kDelete));
static_assert(CASK_CHANGE_EXPIRE ==
              static_cast<int>(cask::ChangeKind::kExpire));
static_assert(CASK_CHANGE_CLEAR == static_cast<int>(cask::ChangeKind::kClear));
static_assert(CASK_ABORTED == static_cast<int>(absl::StatusCode::kAborted));
static_assert(CASK_UNAUTHENTICATED ==
              static_cast<int>(absl::StatusCode::kUnauthenticated));

}  // namespace

extern "C" {

void cask_free(void* p) { std::free(p); }

const char* cask_code_name(int code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) {
    return "UNKNOWN_CODE";
  }
  return kNames[code];
}

int cask_open(const char* uri, cask_store** store, char** errmsg) {
  if (uri == nullptr) return NullArgument("uri", errmsg);
  if (store == nullptr) return NullArgument("store", errmsg);
  absl::StatusOr<std::unique_ptr<cask::Driver>> driver = cask::OpenStore(uri);
  if (!driver.ok()) return Report(driver.status(), errmsg);
  *store = new cask_store{std::move(*driver)};
  return CASK_OK;
}

void cask_close(cask_store* store) { delete store; }

int cask_get(cask_store* store, const char* key, char** value,
             size_t* value_len, char** etag, char** errmsg) {
  if (store == nullptr) return NullArgument("store", errmsg);
  if (key == nullptr) return NullArgument("key", errmsg);
  if (value == nullptr) return NullArgument("value", errmsg);
  absl::StatusOr<cask::Item> item = store->driver->Get(key);
  if (!item.ok()) return Report(item.status(), errmsg);
  *value = CopyString(item->value);
  if (value_len != nullptr) *value_len = item->value.size();
  if (etag != nullptr) *etag = CopyString(item->meta.etag);
  return CASK_OK;
}

int cask_set(cask_store* store, const char* key, const char* value,
             size_t value_len, const char* if_match, const char* if_none_match,
             int64_t ttl_ms, char** etag, char** errmsg) {
  if (store == nullptr) return NullArgument("store", errmsg);
  if (key == nullptr) return NullArgument("key", errmsg);
  if (value == nullptr && value_len > 0) return NullArgument("value", errmsg);
  cask::WriteOptions options;
  options.precondition = ToPrecondition(if_match, if_none_match);
  options.ttl = absl::Milliseconds(ttl_ms);
  absl::StatusOr<std::string> new_etag = store->driver->Set(
      key, std::string_view(value == nullptr ? "" : value, value_len), options);
  if (!new_etag.ok()) return Report(new_etag.status(), errmsg);
  if (etag != nullptr) *etag = CopyString(*new_etag);
  return CASK_OK;
}

int cask_remove(cask_store* store, const char* key, const char* if_match,
                const char* if_none_match, char** errmsg) {
  if (store == nullptr) return NullArgument("store", errmsg);
  if (key == nullptr) return NullArgument("key", errmsg);
  return Report(
      store->driver->Remove(key, ToPrecondition(if_match, if_none_match)),
      errmsg);
}

int cask_keys(cask_store* store, const char* base, cask_list** keys,
              char** errmsg) {
  if (store == nullptr) return NullArgument("store", errmsg);
  if (keys == nullptr) return NullArgument("keys", errmsg);
  absl::StatusOr<std::vector<std::string>> found =
      store->driver->Keys(base == nullptr ? "" : base);
  if (!found.ok()) return Report(found.status(), errmsg);
  *keys = new cask_list{std::move(*found)};
  return CASK_OK;
}

cask_batch* cask_batch_create(void) { return new cask_batch; }

void cask_batch_destroy(cask_batch* batch) { delete batch; }

void cask_batch_put(cask_batch* batch, const char* key, const char* value,
                    size_t value_len, const char* if_match,
                    const char* if_none_match) {
  cask::WriteOptions options;
  options.precondition = ToPrecondition(if_match, if_none_match);
  batch->batch.Put(key,
                   std::string_view(value == nullptr ? "" : value,
                                    value == nullptr ? 0 : value_len),
                   options);
}

void cask_batch_delete(cask_batch* batch, const char* key, const char* if_match,
                       const char* if_none_match) {
  batch->batch.Delete(key, ToPrecondition(if_match, if_none_match));
}

void cask_batch_verify(cask_batch* batch, const char* key, const char* if_match,
                       const char* if_none_match) {
  batch->batch.Verify(key, ToPrecondition(if_match, if_none_match));
}

int cask_commit(cask_store* store, const cask_batch* batch, cask_list** etags,
                uint64_t* revision, char** errmsg) {
  if (store == nullptr) return NullArgument("store", errmsg);
  if (batch == nullptr) return NullArgument("batch", errmsg);
  absl::StatusOr<cask::CommitResult> result =
      store->driver->Commit(batch->batch);
  if (!result.ok()) return Report(result.status(), errmsg);
  if (etags != nullptr) *etags = new cask_list{std::move(result->etags)};
  if (revision != nullptr) *revision = result->revision;
  return CASK_OK;
}

int cask_current_revision(cask_store* store, uint64_t* revision,
                          char** errmsg) {
  if (store == nullptr) return NullArgument("store", errmsg);
  if (revision == nullptr) return NullArgument("revision", errmsg);
  absl::StatusOr<std::uint64_t> current = store->driver->CurrentRevision();
  if (!current.ok()) return Report(current.status(), errmsg);
  *revision = *current;
  return CASK_OK;
}

int cask_changes(cask_store* store, uint64_t after_revision, size_t limit,
                 cask_change_list** changes, char** errmsg) {
  if (store == nullptr) return NullArgument("store", errmsg);
  if (changes == nullptr) return NullArgument("changes", errmsg);
  absl::StatusOr<std::vector<cask::ChangeEvent>> events =
      store->driver->Changes(after_revision, limit);
  if (!events.ok()) return Report(events.status(), errmsg);
  *changes = new cask_change_list{std::move(*events)};
  return CASK_OK;
}

size_t cask_change_list_count(const cask_change_list* changes) {
  return changes == nullptr ? 0 : changes->events.size();
}
uint64_t cask_change_list_revision(const cask_change_list* changes, size_t i) {
  const cask::ChangeEvent* e = EventAt(changes, i);
  return e == nullptr ? 0 : e->revision;
}
const char* cask_change_list_key(const cask_change_list* changes, size_t i) {
  const cask::ChangeEvent* e = EventAt(changes, i);
  return e == nullptr ? nullptr : e->key.c_str();
}
cask_change_kind cask_change_list_kind(const cask_change_list* changes,
                                       size_t i) {
  const cask::ChangeEvent* e = EventAt(changes, i);
  return e == nullptr ? CASK_CHANGE_PUT
                      : static_cast<cask_change_kind>(e->kind);
}
const char* cask_change_list_etag(const cask_change_list* changes, size_t i) {
  const cask::ChangeEvent* e = EventAt(changes, i);
  return e == nullptr ? nullptr : e->etag.c_str();
}
int64_t cask_change_list_time_us(const cask_change_list* changes, size_t i) {
  const cask::ChangeEvent* e = EventAt(changes, i);
  return e == nullptr ? 0 : absl::ToUnixMicros(e->time);
}
void cask_change_list_destroy(cask_change_list* changes) { delete changes; }

size_t cask_list_count(const cask_list* list) {
  return list == nullptr ? 0 : list->items.size();
}
const char* cask_list_get(const cask_list* list, size_t i) {
  if (list == nullptr || i >= list->items.size()) return nullptr;
  return list->items[i].c_str();
}
void cask_list_destroy(cask_list* list) { delete list; }

}  // extern "C"
