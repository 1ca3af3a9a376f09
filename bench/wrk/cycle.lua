-- Cycle through presigned request paths, one file line each; the threads split the lines so
-- PUTs never share a key. Args after `--`: method, paths file, body bytes, thread count.
-- done() prints one JSON line (prefixed "BENCH ") with throughput, latency percentiles and
-- how many times a thread ran out of paths and started over (PUTs then overwrite).

local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local method, paths, body, next_index = "GET", {}, nil, 0
wraps = 0

function init(args)
  method = args[1]
  local size, nthreads = tonumber(args[3]), tonumber(args[4])
  local line_number = 0
  for line in io.lines(args[2]) do
    if line_number % nthreads == id then
      paths[#paths + 1] = line
    end
    line_number = line_number + 1
  end
  if size > 0 then
    body = string.rep("b", size)
  end
end

function request()
  next_index = next_index + 1
  if next_index > #paths then
    next_index = 1
    wraps = wraps + 1
  end
  return wrk.format(method, paths[next_index], nil, body)
end

function done(summary, latency, requests)
  local total_wraps = 0
  for _, thread in ipairs(threads) do
    total_wraps = total_wraps + thread:get("wraps")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"duration_us": %d, "requests": %d, "errors": %d, "status_errors": %d, "wraps": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.duration, summary.requests, e.connect + e.read + e.write + e.timeout, e.status, total_wraps,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
