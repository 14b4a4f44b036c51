-- post-suma.lua: wrk script for the benchmark's task scenario.  Every
-- request is the same synchronous `suma` task, so what is measured is the
-- worker's request path (parse, pool hand-off, JSON reply), not the task.
wrk.method = "POST"
wrk.body = '{"operacion":"suma","datos":{"a":25,"b":17}}'
wrk.headers["Content-Type"] = "application/json"
