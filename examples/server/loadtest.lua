-- loadtest.lua -- wrk script for civic-server (make loadtest).
--
-- CIVIC_MIX=read: 95% GETs (subject, record, rank, groups), 5% POSTs;
-- CIVIC_MIX=write: 20% GETs, 80% POSTs of CIVIC_BATCH (default 10) new events;
-- CIVIC_MIX=subject: only GET /subjects/{id} (the cheapest query: shows the
-- cost of HTTP itself, connections, TLS and token checks).
-- Every POSTed event id is unique (thread number + counter), so writes are
-- real inserts, not duplicates.  done() prints one JSON line for the driver.
-- CIVIC_TOKEN, when set, is sent as "Authorization: Bearer" on every request
-- (a token with the write role, as loadtest.py --auth makes).

local mix = os.getenv("CIVIC_MIX") or "read"
local batch = tonumber(os.getenv("CIVIC_BATCH") or "10")
local subjects = tonumber(os.getenv("CIVIC_SUBJECTS") or "40")
local post_share = (mix == "write") and 0.80 or 0.05
local threads = {}
local counter = 0
local token = os.getenv("CIVIC_TOKEN")

local function headers(extra)
   local h = extra or {}
   if token and token ~= "" then h["Authorization"] = "Bearer " .. token end
   return h
end

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(tid * 7919)
end

local types = { "volunteer_hour", "neighbour_help", "recycling", "illegal_parking" }

local function post()
   local lines = { "id,subject,type,ts,qty,group" }
   for i = 1, batch do
      counter = counter + 1
      lines[#lines + 1] = string.format("lt%d-%d,lt%04d,%s,2025-%02d-%02d,1,load/g%d",
         tid, counter, math.random(1, 500), types[math.random(1, #types)],
         math.random(1, 12), math.random(1, 28), math.random(1, 8))
   end
   return wrk.format("POST", "/events", headers({ ["Content-Type"] = "text/csv" }),
                     table.concat(lines, "\n") .. "\n")
end

function request()
   local s = string.format("r%04d", math.random(1, subjects))
   if mix == "subject" then return wrk.format("GET", "/subjects/" .. s, headers()) end
   if math.random() < post_share then return post() end
   local r = math.random()
   if r < 0.60 then return wrk.format("GET", "/subjects/" .. s, headers()) end
   if r < 0.80 then return wrk.format("GET", "/subjects/" .. s .. "/record", headers()) end
   if r < 0.95 then return wrk.format("GET", "/rank?top=10", headers()) end
   return wrk.format("GET", "/groups?depth=2", headers())
end

function done(summary, latency, requests)
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
   io.write(string.format(
      '{"mix":"%s","requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"errors":%d,"non2xx":%d}\n',
      mix, summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      errors, summary.errors.status))
end
