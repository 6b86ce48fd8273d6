#!/usr/bin/env bash
# Turns the `torture: key=value ...` lines of a test log into the summary table of `make torture`.
set -euo pipefail
awk '
index($0, "torture: ") > 0 {
  # With --nocapture a report may share its line with the test name: take what follows the marker.
  line = substr($0, index($0, "torture: ") + 9)
  delete kv
  nf = split(line, fields, " ")
  for (i = 1; i <= nf; i++) { split(fields[i], p, "="); kv[p[1]] = p[2] }
  n++
  printf "| %-20s | %7s | %6s | %7s | %8s | %4s | %10s | %6s | %9s | %s |\n", kv["test"], kv["rounds"], kv["kills"], kv["faults"], kv["checked"], kv["lost"], kv["duplicated"], kv["panics"], kv["overshoot_ms"], kv["seed"] > "/dev/stderr"
  rounds += kv["rounds"]; kills += kv["kills"]; faults += kv["faults"]; checked += kv["checked"]
  lost += kv["lost"]; dup += kv["duplicated"]; panics += kv["panics"]
  if (kv["overshoot_ms"] + 0 > worst) worst = kv["overshoot_ms"] + 0
}
BEGIN {
  printf "| %-20s | %7s | %6s | %7s | %8s | %4s | %10s | %6s | %9s | %s |\n", "test", "rounds", "kills", "faults", "checked", "lost", "duplicated", "panics", "overshoot", "seed" > "/dev/stderr"
  printf "|%s|\n", "----------------------|---------|--------|---------|----------|------|------------|--------|-----------|------" > "/dev/stderr"
}
END {
  printf "| %-20s | %7d | %6d | %7d | %8d | %4d | %10d | %6d | %6d ms | |\n", "TOTAL (" n " tests)", rounds, kills, faults, checked, lost, dup, panics, worst > "/dev/stderr"
}
' "$1" 2>&1
