#!/usr/bin/env python3
"""Compile-time benchmark: an Adam step with N 256x256 weight tensors
(bench/gen-step.py) through

  qopt-opt --qopt-insert-quantization --assign-precision --qopt-lower-to-llvm

for N = 10, 100, 1000 (or the sizes given). Prints, per N, the wall time of
the median run, ms per tensor, the pipeline's time without writing the
output (from --mlir-timing), the slowest passes, and the ratio of the
per-tensor time at the largest N to that at the smallest (1.0 = linear).

usage: compile-time.py [--qopt-opt PATH] [--runs R] [--sizes 10,100,1000]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cpuinfo import cpu_lines  # noqa: E402


def run_once(qopt_opt, source):
    cmd = [qopt_opt, source, "--qopt-insert-quantization",
           "--assign-precision", "--qopt-lower-to-llvm", "-o", os.devnull,
           "--mlir-timing", "--mlir-timing-display=list"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        errors = [l for l in proc.stderr.splitlines() if "error" in l]
        sys.exit(f"qopt-opt failed on {source}: {errors[:3]}")
    # "  0.1234 ( 12.3%)  PassName" rows of the list display.
    passes = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"\s*([0-9.]+) \(\s*[0-9.]+%\)\s+(.*\S)\s*$", line)
        if m:
            passes[m.group(2)] = float(m.group(1))
    return wall, passes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt-opt", default=os.path.join(
        HERE, "..", "build", "bin", "qopt-opt"))
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per size; the median is reported")
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(cpu_lines())
    print(f"qopt-opt --qopt-insert-quantization --assign-precision "
          f"--qopt-lower-to-llvm, 256x256 tensors, median of {args.runs}")
    print(f"{'tensors':>8} {'wall s':>8} {'ms/tensor':>10} "
          f"{'no output s':>12} {'output s':>9}  slowest passes")
    per_tensor = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            source = os.path.join(tmp, f"step{n}.mlir")
            subprocess.run([sys.executable, os.path.join(HERE, "gen-step.py"),
                            str(n), "-o", source], check=True)
            runs = sorted((run_once(args.qopt_opt, source)
                           for _ in range(args.runs)), key=lambda r: r[0])
            wall, passes = runs[len(runs) // 2]
            output = passes.get("Output", 0.0)
            total = passes.get("Total", wall)
            slowest = sorted(((t, name) for name, t in passes.items()
                              if name not in ("Total", "root")),
                             reverse=True)[:3]
            per_tensor[n] = 1000.0 * wall / n
            print(f"{n:>8} {wall:>8.2f} {per_tensor[n]:>10.2f} "
                  f"{total - output:>12.2f} {output:>9.2f}  " +
                  ", ".join(f"{name} {t:.2f}" for t, name in slowest))
    lo, hi = min(sizes), max(sizes)
    if lo != hi:
        print(f"per-tensor time ratio {hi}/{lo}: "
              f"{per_tensor[hi] / per_tensor[lo]:.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
