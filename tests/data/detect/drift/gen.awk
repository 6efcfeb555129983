# Fixture generator for tests/integration/test-import-drift.sh (seeded, so deterministic).
# Writes the CSV of `aiops query --csv` for three series over 7 days + 1 hour at 30 s steps,
# ending 30 s before now_ms: host_load1 stationary, host_memory_used_percent moving from 60 to
# 80 in the last hour, mysql RSS with its spread tripled in the last hour.
function gauss() { return sqrt(-2 * log(1 - rand())) * cos(6.283185307179586 * rand()) }
BEGIN {
        srand(7)
        print "time,timestamp_ms,metric,labels,value"
        step = 30000; n = (7 * 24 + 1) * 120
        for (i = 0; i < n; i++) {
                ts = now_ms - 30000 - (n - 1 - i) * step
                recent = i >= n - 120
                printf "-,%d,host_load1,,%.4f\n", ts, 1 + 0.1 * gauss()
                printf "-,%d,host_memory_used_percent,,%.3f\n", ts, (recent ? 80 : 60) + 2 * gauss()
                printf "-,%d,service_resident_memory_bytes,\"{service=\"\"mysql\"\"}\",%.0f\n", ts, 2e9 + (recent ? 3 : 1) * 1e7 * gauss()
        }
}
