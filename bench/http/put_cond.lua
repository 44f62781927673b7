-- A conditional PUT: If-None-Match with a tag the key never has, so the
-- server evaluates the precondition atomically and writes every time
-- (unstorage's server ignores the header and just writes).
wrk.method = "PUT"
wrk.path = "/bench/k"
wrk.body = "value-0123456789abcdef"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["If-None-Match"] = '"never-this-etag"'
