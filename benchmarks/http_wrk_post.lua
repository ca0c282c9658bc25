-- wrk's request for the HTTP transport benchmark (benchmarks/run_http.sh):
--   wrk -t1 -c8 -d5s --latency -s benchmarks/http_wrk_post.lua http://127.0.0.1:PORT/hook
-- The same POST as every other client (benchmarks/http_common.hpp): the 321-byte incident
-- event under root/result and the same three headers; wrk adds Host and Content-Length.
-- The body below must stay byte for byte equal to bench::http::payload; run_http.sh checks
-- it against 'http_curl_multi --print-payload' before measuring.
-- No request()/response() functions: wrk then builds the request once and sends it as is,
-- which keeps it the fastest HTTP/1.1 client on the machine (the ceiling of the table).
wrk.method = "POST"
wrk.body = [==[{"root":{"result":{"sys_id":"9d385017c611228701d22104cc95c371","number":"INC0010023","short_description":"Disk \"data\" at 95% on db-07.prod","state":"in_progress","priority":2,"impact":1,"opened_at":1700000000123,"business_impact":7.25,"assignment_group":"Database Operations","tags":["database","storage","capacity"]}}}]==]
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.headers["Authorization"] = "Basic d2ViaG9vazpzZWNyZXQ="
wrk.headers["User-Agent"] = "webhook-bench"
