-- GET of one existing key (unstorage's plain read).
wrk.method = "GET"
wrk.path = "/bench/k"
