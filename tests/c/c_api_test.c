/* The C API (cask/c.h) from C: open by URI, get / set / remove with
 * preconditions, commit, keys, changes, error codes and messages.
 * Usage: c_api_test [ENGINE_DIR]: with a directory, the change-log part
 * runs on the engine there too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cask/c.h"

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* Sets, CAS, get, remove and their codes on any store with CAS. */
static void TestOneKey(cask_store* db) {
  char* err = NULL;
  char* e1 = NULL;
  CHECK(cask_set(db, "refs:main", "c1", 2, NULL, "*", 0, &e1, &err) == CASK_OK);
  CHECK(e1 != NULL && e1[0] != '\0');
  /* Create-only again: a CAS mismatch, with a message naming the key. */
  CHECK(cask_set(db, "refs:main", "xx", 2, NULL, "*", 0, NULL, &err) ==
        CASK_ABORTED);
  CHECK(err != NULL && strstr(err, "refs:main") != NULL);
  char* e2 = NULL;
  CHECK(cask_set(db, "refs:main", "c2", 2, e1, NULL, 0, &e2, &err) == CASK_OK);
  CHECK(e2 != NULL && strcmp(e1, e2) != 0);
  /* A stale etag is refused; the value stays. */
  CHECK(cask_set(db, "refs:main", "c3", 2, e1, NULL, 0, NULL, &err) ==
        CASK_ABORTED);
  char* value = NULL;
  size_t len = 0;
  char* etag = NULL;
  CHECK(cask_get(db, "refs:main", &value, &len, &etag, &err) == CASK_OK);
  CHECK(len == 2 && memcmp(value, "c2", 2) == 0 && value[2] == '\0');
  CHECK(etag != NULL && strcmp(etag, e2) == 0);
  cask_free(value);
  cask_free(etag);
  /* Binary values keep their NUL bytes. */
  CHECK(cask_set(db, "bin", "a\0b", 3, NULL, NULL, 0, NULL, &err) == CASK_OK);
  CHECK(cask_get(db, "bin", &value, &len, NULL, &err) == CASK_OK);
  CHECK(len == 3 && memcmp(value, "a\0b", 3) == 0);
  cask_free(value);
  /* Bad input is kInvalidArgument before the store is touched. */
  CHECK(cask_set(db, "a/../b", "v", 1, NULL, NULL, 0, NULL, &err) ==
        CASK_INVALID_ARGUMENT);
  CHECK(cask_set(db, "k", "v", 1, "\"bad", NULL, 0, NULL, &err) ==
        CASK_INVALID_ARGUMENT);
  /* Remove with a stale etag, then the right one. */
  CHECK(cask_remove(db, "refs:main", e1, NULL, &err) == CASK_ABORTED);
  CHECK(cask_remove(db, "refs:main", e2, NULL, &err) == CASK_OK);
  CHECK(cask_get(db, "refs:main", &value, &len, NULL, &err) == CASK_NOT_FOUND);
  CHECK(strcmp(cask_code_name(CASK_NOT_FOUND), "NOT_FOUND") == 0);
  CHECK(strcmp(cask_code_name(99), "UNKNOWN_CODE") == 0);
  cask_free(e1);
  cask_free(e2);
  cask_free(err);
}

static void TestCommitAndKeys(cask_store* db) {
  char* err = NULL;
  cask_batch* b = cask_batch_create();
  cask_batch_put(b, "objects:1", "blob", 4, NULL, "*");
  cask_batch_put(b, "refs:dev", "1", 1, NULL, "*");
  cask_list* etags = NULL;
  CHECK(cask_commit(db, b, &etags, NULL, &err) == CASK_OK);
  CHECK(cask_list_count(etags) == 2);
  CHECK(cask_list_get(etags, 0) != NULL && cask_list_get(etags, 0)[0] != 0);
  CHECK(cask_list_get(etags, 2) == NULL);
  /* The same batch again: both creates fail; nothing is written. */
  cask_batch_put(b, "objects:2", "blob", 4, NULL, "*");
  CHECK(cask_commit(db, b, NULL, NULL, &err) == CASK_ABORTED);
  CHECK(err != NULL && strstr(err, "objects:1") != NULL &&
        strstr(err, "refs:dev") != NULL);
  cask_batch_destroy(b);
  /* A verify guards a put on another key. */
  b = cask_batch_create();
  cask_batch_verify(b, "refs:dev", cask_list_get(etags, 1), NULL);
  cask_batch_delete(b, "objects:1", NULL, NULL);
  CHECK(cask_commit(db, b, NULL, NULL, &err) == CASK_OK);
  cask_batch_destroy(b);
  cask_list_destroy(etags);

  cask_list* keys = NULL;
  CHECK(cask_keys(db, NULL, &keys, &err) == CASK_OK);
  CHECK(cask_list_count(keys) == 2);
  CHECK(strcmp(cask_list_get(keys, 0), "bin") == 0);
  CHECK(strcmp(cask_list_get(keys, 1), "refs:dev") == 0);
  cask_list_destroy(keys);
  CHECK(cask_keys(db, "refs", &keys, &err) == CASK_OK);
  CHECK(cask_list_count(keys) == 1);
  cask_list_destroy(keys);
  cask_free(err);
}

/* Changes from now on: only what is written after cask_current_revision. */
static void TestChangesFromNow(cask_store* db) {
  char* err = NULL;
  uint64_t now = 0;
  CHECK(cask_current_revision(db, &now, &err) == CASK_OK);
  CHECK(now > 0); /* TestOneKey and TestCommitAndKeys wrote before */
  CHECK(cask_set(db, "later", "v", 1, NULL, NULL, 0, NULL, &err) == CASK_OK);
  CHECK(cask_remove(db, "later", NULL, NULL, &err) == CASK_OK);
  cask_change_list* changes = NULL;
  CHECK(cask_changes(db, now, 100, &changes, &err) == CASK_OK);
  CHECK(cask_change_list_count(changes) == 2);
  CHECK(cask_change_list_revision(changes, 0) == now + 1);
  CHECK(strcmp(cask_change_list_key(changes, 0), "later") == 0);
  CHECK(cask_change_list_kind(changes, 0) == CASK_CHANGE_PUT);
  CHECK(cask_change_list_etag(changes, 0)[0] != '\0');
  CHECK(cask_change_list_time_us(changes, 0) > 0);
  CHECK(cask_change_list_kind(changes, 1) == CASK_CHANGE_DELETE);
  CHECK(cask_change_list_key(changes, 2) == NULL);
  cask_change_list_destroy(changes);
  cask_free(err);
}

int main(int argc, char** argv) {
  char* err = NULL;
  cask_store* db = NULL;

  CHECK(cask_open("nope:", &db, &err) == CASK_INVALID_ARGUMENT);
  CHECK(db == NULL && err != NULL && strstr(err, "nope") != NULL);

  CHECK(cask_open("mem:", &db, &err) == CASK_OK);
  TestOneKey(db);
  TestCommitAndKeys(db);
  uint64_t rev = 0;
  /* The memory store has no change log. */
  CHECK(cask_current_revision(db, &rev, &err) == CASK_UNIMPLEMENTED);
  cask_close(db);

  /* A store without CAS refuses a precondition before sending anything. */
  CHECK(cask_open("null:", &db, &err) == CASK_OK);
  CHECK(cask_set(db, "k", "v", 1, NULL, "*", 0, NULL, &err) ==
        CASK_UNIMPLEMENTED);
  cask_close(db);

  if (argc > 1) {
    char uri[4096];
    snprintf(uri, sizeof uri, "cask://%s", argv[1]);
    CHECK(cask_open(uri, &db, &err) == CASK_OK);
    if (db != NULL) {
      TestOneKey(db);
      TestCommitAndKeys(db);
      TestChangesFromNow(db);
      cask_close(db);
    }
  }
  cask_free(err);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c api ok\n");
  return 0;
}
