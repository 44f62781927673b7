#!/usr/bin/env python3
"""cask's C API from Python through ctypes: what any language with a C FFI
sees. Usage: c_api_ctypes_test.py PATH/TO/libcask_c.so
"""
import ctypes
import sys
import tempfile
import unittest

LIB_PATH = None

CASK_OK, CASK_INVALID_ARGUMENT, CASK_NOT_FOUND = 0, 3, 5
CASK_ABORTED, CASK_UNIMPLEMENTED = 10, 12
CASK_CHANGE_PUT, CASK_CHANGE_DELETE = 0, 1


class CaskError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


class Cask:
    """A minimal Python binding: the shape a real one would take."""

    def __init__(self, lib, uri):
        self.lib = lib
        self.db = ctypes.c_void_p()
        self._call(lib.cask_open, uri.encode(), ctypes.byref(self.db))

    def _call(self, fn, *args):
        err = ctypes.c_void_p()
        code = fn(*args, ctypes.byref(err))
        if code != CASK_OK:
            message = ctypes.string_at(err).decode() if err else ""
            self.lib.cask_free(err)
            raise CaskError(code, message)

    def _take(self, p, size=None):
        data = ctypes.string_at(p, size) if size is not None else \
            ctypes.string_at(p)
        self.lib.cask_free(p)
        return data

    def close(self):
        self.lib.cask_close(self.db)

    def set(self, key, value, if_match=None, if_none_match=None):
        etag = ctypes.c_void_p()
        self._call(self.lib.cask_set, self.db, key.encode(), value,
                   len(value), _opt(if_match), _opt(if_none_match),
                   ctypes.c_int64(0), ctypes.byref(etag))
        return self._take(etag).decode()

    def get(self, key):
        value, size, etag = ctypes.c_void_p(), ctypes.c_size_t(), \
            ctypes.c_void_p()
        self._call(self.lib.cask_get, self.db, key.encode(),
                   ctypes.byref(value), ctypes.byref(size),
                   ctypes.byref(etag))
        return self._take(value, size.value), self._take(etag).decode()

    def remove(self, key, if_match=None):
        self._call(self.lib.cask_remove, self.db, key.encode(),
                   _opt(if_match), None)

    def keys(self, base=""):
        lst = ctypes.c_void_p()
        self._call(self.lib.cask_keys, self.db, base.encode(),
                   ctypes.byref(lst))
        out = [self.lib.cask_list_get(lst, i).decode()
               for i in range(self.lib.cask_list_count(lst))]
        self.lib.cask_list_destroy(lst)
        return out

    def commit(self, ops):
        batch = self.lib.cask_batch_create()
        for kind, key, value, if_match, if_none_match in ops:
            if kind == "put":
                self.lib.cask_batch_put(batch, key.encode(), value,
                                        len(value), _opt(if_match),
                                        _opt(if_none_match))
            else:
                self.lib.cask_batch_delete(batch, key.encode(),
                                           _opt(if_match), _opt(if_none_match))
        try:
            revision = ctypes.c_uint64()
            self._call(self.lib.cask_commit, self.db, batch, None,
                       ctypes.byref(revision))
            return revision.value
        finally:
            self.lib.cask_batch_destroy(batch)

    def current_revision(self):
        revision = ctypes.c_uint64()
        self._call(self.lib.cask_current_revision, self.db,
                   ctypes.byref(revision))
        return revision.value

    def changes(self, after, limit=100):
        ch = ctypes.c_void_p()
        self._call(self.lib.cask_changes, self.db, ctypes.c_uint64(after),
                   ctypes.c_size_t(limit), ctypes.byref(ch))
        out = [(self.lib.cask_change_list_revision(ch, i),
                self.lib.cask_change_list_key(ch, i).decode(),
                self.lib.cask_change_list_kind(ch, i))
               for i in range(self.lib.cask_change_list_count(ch))]
        self.lib.cask_change_list_destroy(ch)
        return out


def _opt(text):
    return None if text is None else text.encode()


def load(path):
    lib = ctypes.CDLL(path)
    p, s, u64, i64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint64, \
        ctypes.c_int64
    size, out = ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)
    sigs = {
        "cask_open": ([s, out, out], ctypes.c_int),
        "cask_close": ([p], None),
        "cask_free": ([p], None),
        "cask_get": ([p, s, out, ctypes.POINTER(size), out, out],
                     ctypes.c_int),
        "cask_set": ([p, s, s, size, s, s, i64, out, out], ctypes.c_int),
        "cask_remove": ([p, s, s, s, out], ctypes.c_int),
        "cask_keys": ([p, s, out, out], ctypes.c_int),
        "cask_list_count": ([p], size),
        "cask_list_get": ([p, size], s),
        "cask_list_destroy": ([p], None),
        "cask_batch_create": ([], p),
        "cask_batch_destroy": ([p], None),
        "cask_batch_put": ([p, s, s, size, s, s], None),
        "cask_batch_delete": ([p, s, s, s], None),
        "cask_commit": ([p, p, out, ctypes.POINTER(u64), out], ctypes.c_int),
        "cask_current_revision": ([p, ctypes.POINTER(u64), out],
                                  ctypes.c_int),
        "cask_changes": ([p, u64, size, out, out], ctypes.c_int),
        "cask_change_list_count": ([p], size),
        "cask_change_list_revision": ([p, size], u64),
        "cask_change_list_key": ([p, size], s),
        "cask_change_list_kind": ([p, size], ctypes.c_int),
        "cask_change_list_destroy": ([p], None),
    }
    for name, (argtypes, restype) in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = argtypes, restype
    return lib


class CApiFromPython(unittest.TestCase):
    def setUp(self):
        self.lib = load(LIB_PATH)
        self.tmp = tempfile.TemporaryDirectory()
        self.db = Cask(self.lib, f"cask://{self.tmp.name}/store")

    def tearDown(self):
        self.db.close()
        self.tmp.cleanup()

    def test_compare_and_swap(self):
        e1 = self.db.set("refs:main", b"c1", if_none_match="*")
        with self.assertRaises(CaskError) as again:
            self.db.set("refs:main", b"c1", if_none_match="*")
        self.assertEqual(again.exception.code, CASK_ABORTED)
        self.assertIn("refs:main", str(again.exception))
        e2 = self.db.set("refs:main", b"c2", if_match=e1)
        with self.assertRaises(CaskError) as stale:
            self.db.set("refs:main", b"c3", if_match=e1)
        self.assertEqual(stale.exception.code, CASK_ABORTED)
        self.assertEqual(self.db.get("refs:main"), (b"c2", e2))
        self.db.remove("refs:main", if_match=e2)
        with self.assertRaises(CaskError) as gone:
            self.db.get("refs:main")
        self.assertEqual(gone.exception.code, CASK_NOT_FOUND)

    def test_binary_values_and_bad_keys(self):
        self.db.set("bin", b"a\x00b\xff")
        self.assertEqual(self.db.get("bin")[0], b"a\x00b\xff")
        with self.assertRaises(CaskError) as bad:
            self.db.set("a/../b", b"v")
        self.assertEqual(bad.exception.code, CASK_INVALID_ARGUMENT)

    def test_commit_keys_and_changes_from_now(self):
        self.db.set("before", b"x")
        now = self.db.current_revision()
        revision = self.db.commit([("put", "objects:1", b"blob", None, "*"),
                                   ("put", "refs:dev", b"1", None, "*")])
        self.assertGreater(revision, now)
        with self.assertRaises(CaskError) as conflict:
            self.db.commit([("put", "objects:2", b"blob", None, "*"),
                            ("put", "refs:dev", b"2", None, "*")])
        self.assertEqual(conflict.exception.code, CASK_ABORTED)
        self.assertEqual(self.db.keys(), ["before", "objects:1", "refs:dev"])
        self.assertEqual(self.db.keys("refs"), ["refs:dev"])
        self.db.commit([("delete", "objects:1", None, None, None)])
        changes = self.db.changes(now)
        self.assertEqual([(k, kind) for _, k, kind in changes],
                         [("objects:1", CASK_CHANGE_PUT),
                          ("refs:dev", CASK_CHANGE_PUT),
                          ("objects:1", CASK_CHANGE_DELETE)])
        self.assertEqual(changes[0][0], now + 1)

    def test_open_errors_and_cas_unsupported(self):
        with self.assertRaises(CaskError) as unknown:
            Cask(self.lib, "nope:")
        self.assertEqual(unknown.exception.code, CASK_INVALID_ARGUMENT)
        null = Cask(self.lib, "null:")
        with self.assertRaises(CaskError) as unsupported:
            null.set("k", b"v", if_none_match="*")
        self.assertEqual(unsupported.exception.code, CASK_UNIMPLEMENTED)
        null.close()


if __name__ == "__main__":
    LIB_PATH = sys.argv.pop(1)
    unittest.main(verbosity=2)
