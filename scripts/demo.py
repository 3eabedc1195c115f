#!/usr/bin/env python3
"""The main job: an end-to-end demo of qopt in a few minutes on 2 cores.

For each training task it lets the compiler insert quantization at the four
boundaries, assigns each component its format from the convergence theorem
for the planned T, compiles the step once and trains it, next to an f32 run
and a run starved of mantissa bits; then prints the comparison table.
"""
import argparse
import csv
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TASKS = [
    # name, example, iterations, extra qopt-run options
    ("Rosenbrock 8x8, Adam", "examples/rosenbrock-matrix-adam.mlir", 1000, []),
    ("Rosenbrock 8x8, Muon", "examples/rosenbrock-matrix-muon.mlir", 1000, []),
    ("Fashion-MNIST MLP, Adam", "examples/fashion-mlp-adam.mlir", 300,
     ["--eval-examples=2000"]),
    ("Fashion-MNIST MLP, Muon", "examples/fashion-mlp-muon.mlir", 300,
     ["--eval-examples=2000"]),
]

# The factor over f32 within which the theorem's formats must keep the
# mean master gradient norm (qopt-calibrate's default R).
TOLERANCE = 1.25

CONFIGS = [
    ("f32", ["--quantize=none"]),
    ("theorem (assign-precision)", ["--assign-precision"]),
    # The MLPs shrug off 2 stochastic bits (their master gradient norm even
    # drops); a biased rounding of a bare exponent shows failure on every
    # task.
    ("starved (M=0, toward zero)",
     ["--man-bits=0", "--rounding=toward_zero"]),
]


def run(qopt_run, example, iterations, options, csv_path):
    command = [qopt_run, os.path.join(ROOT, example),
               f"--iterations={iterations}", "--seed=7",
               f"--csv={csv_path}"] + options
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"demo: {' '.join(command)} failed:\n{result.stderr}")
    formats = [line[2:] for line in result.stdout.splitlines()
               if line.startswith("# ") and " quantized to " in line]
    # "state memory: X bytes (f32: Y bytes, -Z%)": the narrow storage.
    memory = re.search(r"^state memory: (\d+) bytes \(f32: (\d+) bytes",
                       result.stdout, re.MULTILINE)
    state_bytes = (int(memory.group(1)), int(memory.group(2))) if memory \
        else None
    rows = list(csv.DictReader(open(csv_path)))
    # The theorems bound the gradient norm at the master weights, averaged
    # over the run: qopt-run's probe (docs/Runner.md).
    average = re.search(r"^average over \d+ probes: master_loss \S+ "
                        r"master_grad_norm (\S+)$", result.stdout,
                        re.MULTILINE)
    norm = float(average.group(1))
    probed = [r for r in rows if r["master_loss"]]
    tail = probed[-max(1, len(probed) // 10):]
    loss = sum(float(r["master_loss"]) for r in tail) / len(tail)
    accuracy = next((float(r["test_accuracy"]) for r in reversed(rows)
                     if r["test_accuracy"]), None)
    return formats, loss, norm, accuracy, state_bytes


def show_bytes(state_bytes):
    if state_bytes is None:
        return "-"
    narrow, f32 = state_bytes
    saved = 100.0 * (f32 - narrow) / f32 if f32 else 0.0
    return f"{narrow:,} ({-saved:.0f}%)" if saved > 0 else f"{narrow:,}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()
    qopt_run = os.path.join(args.build, "bin", "qopt-run")
    out = os.path.join(args.build, "demo")
    os.makedirs(out, exist_ok=True)
    table = ["| task | precision | formats (W, G, M, V) | state bytes | "
             "final master loss | mean master grad norm | vs f32 | "
             "test accuracy |",
             "|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for name, example, iterations, extra in TASKS:
        if not os.path.exists(os.path.join(ROOT, example)):
            continue
        print(f"== {name}: {iterations} steps", flush=True)
        f32_norm = None
        for label, options in CONFIGS:
            csv_path = os.path.join(out, f"{os.path.basename(example)}."
                                    f"{label.split()[0]}.csv")
            formats, loss, norm, accuracy, state_bytes = run(
                qopt_run, example, iterations, options + extra, csv_path)
            # One entry per component; several tensors (an MLP's layers,
            # Muon's matrices and Adam's biases) may differ: "a/b".
            short = {"weight": "W", "grad": "G", "first_moment": "M",
                     "second_moment": "V"}
            chosen = {}
            for f in formats:
                component, rest = f.split(" quantized to ")
                fmt = rest.split(" rounding")[0]
                fmt = fmt.replace("#qopt.format<", "").rstrip(">")
                chosen.setdefault(short[component], [])
                if fmt not in chosen[short[component]]:
                    chosen[short[component]].append(fmt)
            shown = ", ".join(f"{c} {'/'.join(chosen[c])}" for c in "WGMV"
                              if c in chosen) or "-"
            if f32_norm is None:
                f32_norm = norm
            ratio = norm / f32_norm if f32_norm > 0 else float("inf")
            if label.startswith("theorem"):
                print(f"   the theorem's formats: {shown}")
                verdicts.append((name, ratio))
            table.append(f"| {name} | {label} | {shown} | "
                         f"{show_bytes(state_bytes)} | {loss:.4g} | "
                         f"{norm:.4g} | {ratio:.2f}x | "
                         + (f"{accuracy:.3f}" if accuracy is not None
                            else "-") + " |")
    print()
    print("T = the planned iterations of each task; the theorem's formats "
          "come from qopt-assign-precision (stochastic rounding, 8 exponent "
          "bits, default constants). State bytes: the optimizer state and "
          "weights as stored (narrow containers, qopt-narrow-storage), with "
          "the saving against f32. The theorems bound the gradient norm at "
          "the master weights averaged over the run: 'mean master grad "
          "norm' is that average (qopt-run's probe, every step), 'vs f32' "
          "its ratio to the f32 run's; the final master loss is a mean over "
          "the last 10% of steps. CSV files are in " + out + ".")
    print()
    print("\n".join(table))
    print()
    for name, ratio in verdicts:
        print(f"{name}: the theorem's formats are "
              + (f"within R = {TOLERANCE} of f32 ({ratio:.2f}x)"
                 if ratio <= TOLERANCE else
                 f"NOT within R = {TOLERANCE} of f32 ({ratio:.2f}x)"))


if __name__ == "__main__":
    main()
