#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause-Patent
"""Times two builds of the dxemem CLI replaying the same traces, side by
side: the runs alternate (old, new, old, new, ...) so that a busy machine
slows both alike, each run's time is the child's CPU time (user + system,
from wait4), output goes to /dev/null, and the medians and their ratio are
printed. A benchmark program, never a test: nothing here passes or fails.

  tools/compare-replay.py OLD_DXEMEM NEW_DXEMEM TRACE... [--runs N]
                          [--args "replay --check"]
"""
import argparse
import os
import statistics
import subprocess
import sys


def cpu_seconds(tool, args, trace):
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen([tool] + args + [trace], stdout=sink)
        _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{tool} {' '.join(args)} {trace}: exit "
                 f"{os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("traces", nargs="+")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--args", default="replay --check",
                        help="the command line before TRACE, the same for both")
    options = parser.parse_args()
    args = options.args.split()
    for trace in options.traces:
        old, new = [], []
        for _ in range(options.runs):
            old.append(cpu_seconds(options.old, args, trace))
            new.append(cpu_seconds(options.new, args, trace))
        m_old, m_new = statistics.median(old), statistics.median(new)
        print(f"{trace}: {' '.join(args)}, median of {options.runs} "
              f"alternating runs, CPU time: old {m_old * 1e3:.1f} ms, "
              f"new {m_new * 1e3:.1f} ms, {m_old / m_new:.1f}x faster")


if __name__ == "__main__":
    main()
