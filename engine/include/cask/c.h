/* cask's C API, for programs in C and for any language with a C foreign
 * function interface (Python ctypes, Rust, Go cgo, Swift, C#, ...). It
 * wraps the C++ API (cask/driver.h, cask/open.h) one to one; read those
 * headers for what each operation means.
 *
 *   cask_store* db = NULL;
 *   char* err = NULL;
 *   if (cask_open("cask:///var/lib/app/store", &db, &err) != CASK_OK) ...
 *   char* etag = NULL;
 *   cask_set(db, "refs:main", "c1", 2, NULL, "*", 0, &etag, &err);  create
 *   cask_set(db, "refs:main", "c2", 2, etag, NULL, 0, NULL, &err);  swap
 *   cask_free(etag);
 *   cask_close(db);
 *
 * Link with -lcask_c (CMake: find_package(cask), target cask::c;
 * pkg-config: cask-c).
 *
 * Conventions (those of leveldb/c.h and rocksdb/c.h, with LMDB's codes):
 * - Every operation that can fail returns a cask_code: CASK_OK (0) or the
 *   number of the absl::StatusCode the C++ API returned. CASK_ABORTED is a
 *   CAS mismatch (a precondition did not hold; re-read and retry),
 *   CASK_UNIMPLEMENTED is CAS unsupported (nothing was sent), CASK_NOT_FOUND
 *   an absent key. docs/errors.md lists every code.
 * - `errmsg`, when not NULL, receives on failure a message that the caller
 *   frees with cask_free(); *errmsg must be NULL or an earlier message,
 *   which is freed first. On success *errmsg is left as it was.
 * - Strings returned through `char**` are NUL-terminated, allocated by cask
 *   and freed with cask_free(). Values may hold any bytes, NUL included:
 *   their length comes separately (a NUL follows the bytes, for
 *   convenience).
 * - Keys are NUL-terminated; cask's key rules apply (':' separates,
 *   at most 1024 bytes, no "..", see docs/contract.md).
 * - Preconditions: `if_match` and `if_none_match` are each NULL (no
 *   condition), "*" or one etag (unquoted, as returned). if_none_match "*"
 *   is create-only; if_match <etag> is compare-and-swap. Lists of etags
 *   need the C++ API.
 *
 * Thread safety: a cask_store may be used from many threads at once, as
 * the C++ Driver it wraps. A cask_batch, cask_list or cask_change_list is a
 * plain value: one thread at a time.
 */
#ifndef CASK_C_H_
#define CASK_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The values of absl::StatusCode. */
typedef enum cask_code {
  CASK_OK = 0,
  CASK_CANCELLED = 1,
  CASK_UNKNOWN = 2, /* outcome unknown: the write may or may not have applied */
  CASK_INVALID_ARGUMENT = 3, /* bad key, etag, URI or precondition */
  CASK_DEADLINE_EXCEEDED = 4,
  CASK_NOT_FOUND = 5,
  CASK_ALREADY_EXISTS = 6,
  CASK_PERMISSION_DENIED = 7,
  CASK_RESOURCE_EXHAUSTED = 8, /* too large, disk full */
  CASK_FAILED_PRECONDITION = 9,
  CASK_ABORTED = 10,       /* CAS mismatch */
  CASK_OUT_OF_RANGE = 11,  /* change-log position already trimmed */
  CASK_UNIMPLEMENTED = 12, /* CAS / batch / change log unsupported */
  CASK_INTERNAL = 13,
  CASK_UNAVAILABLE = 14, /* backend unreachable; nothing applied */
  CASK_DATA_LOSS = 15,   /* corruption detected */
  CASK_UNAUTHENTICATED = 16
} cask_code;

/* What a change-log record did (cask::ChangeKind). */
typedef enum cask_change_kind {
  CASK_CHANGE_PUT = 0,
  CASK_CHANGE_DELETE = 1,
  CASK_CHANGE_EXPIRE = 2,
  CASK_CHANGE_CLEAR = 3 /* key is the cleared base, "" for everything */
} cask_change_kind;

typedef struct cask_store cask_store; /* an open store */
typedef struct cask_batch cask_batch; /* operations for cask_commit */
typedef struct cask_list cask_list;   /* a list of strings */
typedef struct cask_change_list cask_change_list; /* change-log records */

/* Frees anything cask returned through a char** (values, etags,
 * messages). NULL is ignored. */
void cask_free(void* p);

/* "OK", "ABORTED", ... for a cask_code; "UNKNOWN_CODE" otherwise. The
 * string is static. */
const char* cask_code_name(int code);

/* ---- Opening ---------------------------------------------------------- */

/* Opens the store named by `uri` (see cask/open.h and docs/adapters.md:
 * "mem:", "cask:///dir", "file:///dir", "redis://...", "overlay:?..."). On
 * success *store is set; close it with cask_close(). CASK_INVALID_ARGUMENT
 * for a malformed URI or unknown scheme; the store's own open errors
 * otherwise (CASK_UNAVAILABLE, CASK_DATA_LOSS, ...). */
int cask_open(const char* uri, cask_store** store, char** errmsg);

/* Closes the store and frees it. NULL is ignored. */
void cask_close(cask_store* store);

/* ---- One key ---------------------------------------------------------- */

/* Reads `key`. On success *value (and *value_len) receive the value and,
 * when `etag` is not NULL, *etag its etag; free both with cask_free().
 * CASK_NOT_FOUND when the key is absent. */
int cask_get(cask_store* store, const char* key, char** value,
             size_t* value_len, char** etag, char** errmsg);

/* Writes `value_len` bytes at `value` to `key` if the precondition holds,
 * atomically with the write. `ttl_ms` > 0: the item expires after that many
 * milliseconds (CASK_UNIMPLEMENTED on a store without TTL); 0: never.
 * When `etag` is not NULL, *etag receives the new etag. CASK_ABORTED when
 * the precondition does not hold (nothing written). */
int cask_set(cask_store* store, const char* key, const char* value,
             size_t value_len, const char* if_match, const char* if_none_match,
             int64_t ttl_ms, char** etag, char** errmsg);

/* Removes `key` if the precondition holds. Removing an absent key with no
 * precondition is CASK_OK. */
int cask_remove(cask_store* store, const char* key, const char* if_match,
                const char* if_none_match, char** errmsg);

/* The keys under `base` ("" or NULL: all), sorted, into *keys (free with
 * cask_list_destroy). */
int cask_keys(cask_store* store, const char* base, cask_list** keys,
              char** errmsg);

/* ---- Atomic multi-key commit ------------------------------------------ */

/* REQUIRES for the cask_batch_* calls: `batch` and `key` are not NULL. A
 * bad key or etag is reported by cask_commit. */
cask_batch* cask_batch_create(void);
void cask_batch_destroy(cask_batch* batch);
/* Adds a write, a delete, or a verify (a precondition with no write). The
 * strings are copied. */
void cask_batch_put(cask_batch* batch, const char* key, const char* value,
                    size_t value_len, const char* if_match,
                    const char* if_none_match);
void cask_batch_delete(cask_batch* batch, const char* key, const char* if_match,
                       const char* if_none_match);
void cask_batch_verify(cask_batch* batch, const char* key, const char* if_match,
                       const char* if_none_match);

/* Applies every operation of `batch`, all or nothing. On success, when not
 * NULL, *etags receives one entry per operation in order (the new etag of
 * a put, "" otherwise) and *revision the commit's revision (0 where the
 * store has none). CASK_ABORTED when any precondition fails: nothing is
 * written and the message lists every failing key with its expected and
 * actual etag. CASK_INVALID_ARGUMENT for a key named twice.
 * CASK_UNIMPLEMENTED on a store without atomic batches. */
int cask_commit(cask_store* store, const cask_batch* batch, cask_list** etags,
                uint64_t* revision, char** errmsg);

/* ---- The change log (stores with one: the engine, http) -------------- */

/* The newest committed revision: pass it to cask_changes (or the C++
 * Watch) to see only what happens from now on. CASK_UNIMPLEMENTED on a
 * store without a change log. */
int cask_current_revision(cask_store* store, uint64_t* revision, char** errmsg);

/* Up to `limit` change-log records with revision > after_revision, in
 * revision order, into *changes (free with cask_change_list_destroy).
 * CASK_OUT_OF_RANGE when records after after_revision were already
 * trimmed; CASK_UNIMPLEMENTED on a store without a change log. */
int cask_changes(cask_store* store, uint64_t after_revision, size_t limit,
                 cask_change_list** changes, char** errmsg);

size_t cask_change_list_count(const cask_change_list* changes);
/* The fields of record `i` (< cask_change_list_count; out of range: 0 or
 * NULL). The strings belong to `changes` and stay valid until
 * cask_change_list_destroy. */
uint64_t cask_change_list_revision(const cask_change_list* changes, size_t i);
const char* cask_change_list_key(const cask_change_list* changes, size_t i);
cask_change_kind cask_change_list_kind(const cask_change_list* changes,
                                       size_t i);
const char* cask_change_list_etag(const cask_change_list* changes, size_t i);
/* Microseconds since the Unix epoch. */
int64_t cask_change_list_time_us(const cask_change_list* changes, size_t i);
void cask_change_list_destroy(cask_change_list* changes);

/* ---- Lists ------------------------------------------------------------ */

size_t cask_list_count(const cask_list* list);
/* Entry `i` (< cask_list_count; out of range: NULL); valid until
 * cask_list_destroy. */
const char* cask_list_get(const cask_list* list, size_t i);
void cask_list_destroy(cask_list* list);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CASK_C_H_ */
