#!/usr/bin/env python3
"""Data-parallel exchange benchmark: the Fashion-MNIST MLP
(examples/fashion-mlp-adam.mlir with the batch raised from 50 to 100, so
that it splits over 4 ranks) run by

  mpiexec -n N qopt-run STEP --data-parallel=MODE --iterations=I ...

for N = 2 and 4 (or --ranks), both modes (allreduce, master-worker) and
the exchanged formats f32 (--quantize=none) and fp8 e5m2 (W and G). Prints,
per run, from qopt-run's per-rank report (median over the ranks): the bytes
a rank sends per step, the seconds spent in the exchanges and in the whole
step, the exchange's share of the step, and the bytes per second sent while
exchanging (a lower bound on the link's speed: the time includes waiting
for slower ranks).

usage: exchange.py [--qopt-run PATH] [--mpiexec PATH] [--iterations 100]
                   [--ranks 2,4] [--modes allreduce,master-worker]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cpuinfo import cpu_lines  # noqa: E402

FORMATS = {
    "f32": ["--quantize=none"],
    "e5m2": ["--quantize=weight,grad", "--exp-bits=5", "--man-bits=2"],
}

REPORT = re.compile(
    r"data-parallel rank (\d+): sent (\d+) bytes in (\d+) exchanges "
    r"\(f32: (\d+) bytes\), ([0-9.]+) s exchanging of ([0-9.]+) s in the "
    r"step")


def batch_100(source, target):
    """The example with a global batch of 100 (and its mean's 1/B)."""
    with open(source) as f:
        text = f.read()
    text = text.replace("50x", "100x").replace("2.00000000e-02",
                                               "1.00000000e-02")
    with open(target, "w") as f:
        f.write(text)


def run(args, step, ranks, mode, fmt):
    cmd = [args.mpiexec, "-n", str(ranks), args.qopt_run, step,
           f"--iterations={args.iterations}", "--eval-examples=100",
           f"--data-parallel={mode}"] + FORMATS[fmt]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    rows = [m.groups() for m in map(REPORT.match, proc.stdout.splitlines())
            if m]
    if len(rows) != ranks:
        sys.exit(f"expected {ranks} rank reports from {' '.join(cmd)}")
    sent = [int(r[1]) / args.iterations for r in rows]
    f32 = [int(r[3]) / args.iterations for r in rows]
    exchange = [float(r[4]) for r in rows]
    step_s = [float(r[5]) for r in rows]
    rate = [int(r[1]) / float(r[4]) / 1e6 if float(r[4]) > 0 else 0.0
            for r in rows]
    med = statistics.median
    return (max(sent), max(f32), med(exchange), med(step_s),
            100.0 * med(e / s for e, s in zip(exchange, step_s) if s > 0),
            med(rate))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt-run", default=os.path.join(
        HERE, "..", "build", "bin", "qopt-run"))
    parser.add_argument("--mpiexec", default=shutil.which("mpiexec"))
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--ranks", default="2,4")
    parser.add_argument("--modes", default="allreduce,master-worker")
    parser.add_argument("--formats", default="f32,e5m2")
    args = parser.parse_args()
    if not args.mpiexec:
        sys.exit("no mpiexec on PATH (install mpich)")

    print(cpu_lines())
    print(f"Fashion-MNIST MLP, global batch 100, {args.iterations} "
          f"iterations; per rank, median over the ranks (bytes: the "
          f"rank that sends most)")
    print(f"{'ranks':>5} {'mode':>13} {'W,G':>5} {'bytes/step':>11} "
          f"{'f32 bytes':>10} {'exchange s':>10} {'step s':>7} "
          f"{'share':>6} {'MB/s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        step = os.path.join(tmp, "fashion-mlp-adam-b100.mlir")
        batch_100(os.path.join(HERE, "..", "examples", "fashion-mlp-adam.mlir"),
                  step)
        for ranks in (int(r) for r in args.ranks.split(",")):
            for mode in args.modes.split(","):
                for fmt in args.formats.split(","):
                    sent, f32, ex, st, share, rate = run(args, step, ranks,
                                                         mode, fmt)
                    print(f"{ranks:>5} {mode:>13} {fmt:>5} {sent:>11.0f} "
                          f"{f32:>10.0f} {ex:>10.3f} {st:>7.3f} "
                          f"{share:>5.1f}% {rate:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
