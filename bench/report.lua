-- bench/report.lua -- appended to every wrk script the benchmarks run:
-- prints one line for bench/lib.sh to read,
--   BENCH requests duration_us non2xx socket_errors p50_us p99_us p99.9_us
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
	    summary.requests, summary.duration, e.status,
	    e.connect + e.read + e.write + e.timeout,
	    latency:percentile(50), latency:percentile(99),
	    latency:percentile(99.9)))
end
