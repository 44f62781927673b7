/* The C API from an installed cask (cask::c, or pkg-config cask-c):
 * create-only, then a swap, then a stale swap that must be refused. */
#include <stdio.h>

#include "cask/c.h"

int main(int argc, char** argv) {
  const char* uri = argc > 1 ? argv[1] : "mem:";
  cask_store* db = NULL;
  char* err = NULL;
  if (cask_open(uri, &db, &err) != CASK_OK) {
    fprintf(stderr, "open: %s\n", err);
    cask_free(err);
    return 1;
  }
  char* first = NULL;
  char* second = NULL;
  int rc = 0;
  if (cask_set(db, "refs:main", "c1", 2, NULL, "*", 0, &first, &err) !=
      CASK_OK) {
    rc = 2;
  } else if (cask_set(db, "refs:main", "c2", 2, first, NULL, 0, &second,
                      &err) != CASK_OK) {
    rc = 3;
  } else if (cask_set(db, "refs:main", "c3", 2, first, NULL, 0, NULL, &err) !=
             CASK_ABORTED) {
    rc = 4; /* a stale etag must be a CAS mismatch */
  } else {
    printf("c ok %s -> %s\n", first, second);
  }
  if (rc != 0) fprintf(stderr, "error %d: %s\n", rc, err ? err : "");
  cask_free(first);
  cask_free(second);
  cask_free(err);
  cask_close(db);
  return rc;
}
