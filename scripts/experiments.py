#!/usr/bin/env python3
"""The paper's experiments through the qopt compiler, as one command.

Runs qopt-run over the examples and writes, under the output directory:
  csv/<run>.csv          per-iteration loss, gradient norm (and accuracy)
  summary.md             the tables (mantissa sweep, ablation, log T law)
  plots/<task>.png       gradient norm vs iteration, one curve per M
  calibration.json       the fitted constants c for --assign-precision
Every run uses stochastic rounding with a fixed, printed seed, so the same
command gives the same CSV files.
"""
import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time

SWEEP_BITS = [23, 10, 7, 3, 2, 1]
ABLATION_BITS = [3, 1]
COMPONENTS = {"w": "weight", "g": "grad", "m": "first_moment",
              "v": "second_moment"}
# Theorem slopes of M against log2 T (docs/Rationale.md).
THEORY_SLOPE = {"adam": {"w": 2.0, "g": 1.0, "m": 1.0, "v": 2.0},
                "muon": {"w": 0.5, "g": 0.5, "m": 0.5}}


class Task:
    def __init__(self, name, example, optimizer, iterations, classifier,
                 extra=()):
        self.name = name
        self.example = example
        self.optimizer = optimizer
        self.iterations = iterations
        self.classifier = classifier
        self.extra = list(extra)


def tasks(root, quick):
    scale = 4 if quick else 1
    found = [
        Task("rosenbrock-adam", "examples/rosenbrock-matrix-adam.mlir",
             "adam", 2000 // scale, False),
        Task("rosenbrock-muon", "examples/rosenbrock-matrix-muon.mlir",
             "muon", 2000 // scale, False),
        Task("mlp-adam", "examples/fashion-mlp-adam.mlir", "adam",
             600 // scale, True, ["--eval-examples=2000"]),
        # 300 steps, as in docs/Experiments.md (Newton-Schulz makes a Muon
        # step several times dearer than an Adam step).
        Task("mlp-muon", "examples/fashion-mlp-muon.mlir", "muon",
             300 // scale, True, ["--eval-examples=2000"]),
    ]
    return [t for t in found if os.path.exists(os.path.join(root, t.example))]


class Runner:
    def __init__(self, args):
        self.args = args
        self.qopt_run = os.path.join(args.build, "bin", "qopt-run")
        self.csv_dir = os.path.join(args.out, "csv")
        os.makedirs(self.csv_dir, exist_ok=True)
        self.count = 0

    def run(self, task, label, options, iterations=None):
        """Runs one training; returns its metrics (cached by CSV)."""
        iterations = iterations or task.iterations
        path = os.path.join(self.csv_dir, f"{task.name}.{label}.csv")
        command = [self.qopt_run, os.path.join(self.args.root, task.example),
                   f"--iterations={iterations}", f"--seed={self.args.seed}",
                   f"--csv={path}"] + task.extra + options
        self.count += 1
        started = time.time()
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"experiments: {' '.join(command)} failed:\n"
                     f"{result.stderr}")
        metrics = summarise(path)
        print(f"  [{self.count:3d}] {task.name} {label}: loss "
              f"{metrics['loss']:.4g}, grad norm {metrics['grad_norm']:.4g}"
              + (f", accuracy {metrics['accuracy']:.3f}"
                 if metrics['accuracy'] is not None else "")
              + f" ({time.time() - started:.1f} s)", flush=True)
        return metrics


def summarise(path):
    """Final metrics: means over the last 10% of iterations (stochastic
    rounding makes single iterations noisy), and the last accuracy."""
    rows = list(csv.DictReader(open(path)))
    tail = rows[-max(1, len(rows) // 10):]
    finite = [float(r["loss"]) for r in tail]
    norms = [float(r["grad_norm"]) for r in tail]
    accuracy = None
    for r in rows:
        if r["test_accuracy"]:
            accuracy = float(r["test_accuracy"])
    mean = lambda xs: sum(xs) / len(xs)
    return {"loss": mean(finite), "grad_norm": mean(norms),
            "accuracy": accuracy, "rows": rows}


def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return str(x)
    return f"{x:.4g}"


def table_head(task, labels):
    """Markdown header and rule: `labels`, then the metrics of `task`."""
    columns = labels + ["final loss", "final grad norm"]
    if task.classifier:
        columns.append("test accuracy")
    return ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]


def table_row(task, labels, m):
    """One Markdown row: `labels`, then the metrics of run `m`."""
    cells = labels + [fmt(m["loss"]), fmt(m["grad_norm"])]
    if task.classifier:
        cells.append(fmt(m["accuracy"]))
    return "| " + " | ".join(cells) + " |"


def sweep(runner, task, lines):
    lines.append(f"\n### {task.name}: all components at M mantissa bits "
                 f"({task.iterations} iterations)\n")
    lines += table_head(task, ["M"])
    curves = {}
    baseline = runner.run(task, "fp32", ["--quantize=none"])
    rows = [("f32 (no quantization)", baseline)]
    curves["f32"] = baseline["rows"]
    for bits in SWEEP_BITS:
        m = runner.run(task, f"M{bits}", [f"--man-bits={bits}"])
        rows.append((str(bits), m))
        curves[f"M={bits}"] = m["rows"]
    for label, m in rows:
        lines.append(table_row(task, [label], m))
    return curves, baseline


def ablation(runner, task, baseline, lines):
    if task.optimizer != "adam":
        return
    lines.append(f"\n### {task.name}: one component at a time (ablation)\n")
    lines += table_head(task, ["quantized", "M"])
    for short, name in COMPONENTS.items():
        for bits in ABLATION_BITS:
            m = runner.run(task, f"only-{short}-M{bits}",
                           [f"--quantize={short}", f"--man-bits={bits}"])
            lines.append(table_row(task, [f"only {name}", str(bits)], m))


def plot(task, curves, out):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return None
    plot_dir = os.path.join(out, "plots")
    os.makedirs(plot_dir, exist_ok=True)
    data = os.path.join(plot_dir, f"{task.name}.dat")
    with open(data, "w") as f:
        for label, rows in curves.items():
            f.write(f'"{label}"\n')
            for r in rows:
                norm = float(r["grad_norm"])
                if norm > 0 and math.isfinite(norm):
                    f.write(f"{r['iteration']} {norm}\n")
            f.write("\n\n")
    png = os.path.join(plot_dir, f"{task.name}.png")
    script = (f'set terminal pngcairo size 900,560\nset output "{png}"\n'
              f'set title "{task.name}: gradient norm per iteration, '
              f'stochastic rounding"\nset logscale y\n'
              f'set xlabel "iteration"\nset ylabel "gradient norm"\n'
              f'set key outside right\n'
              f'plot for [i=0:{len(curves) - 1}] "{data}" index i '
              f'using 1:2 with lines title columnheader(1)\n')
    result = subprocess.run([gnuplot], input=script, text=True,
                            capture_output=True)
    if result.returncode != 0:
        # pngcairo is missing in gnuplot-nox builds without cairo: try png.
        script = script.replace("pngcairo", "png")
        subprocess.run([gnuplot], input=script, text=True, check=True)
    return png


def smallest_bits(runner, task, short, iterations, target, options):
    """Smallest M such that every width from M to 23 keeps the final
    gradient norm within the tolerance of full precision's at the same T.
    Scanning down from 23 and stopping at the first failure makes the answer
    robust to the chance passes of a single low width."""
    for bits in range(23, -1, -1):
        m = runner.run(task, f"law-{short}-T{iterations}-M{bits}",
                       [f"--quantize={short}", f"--man-bits={bits}"] + options,
                       iterations)
        if m["grad_norm"] > target:
            return bits + 1
    return 0


def log_t_law(runner, task, lines, calibration, args):
    """Beyond the paper: the smallest sufficient M per component against
    log2 T, with the theorem's schedule lr ~ 1/sqrt(T) and 1 - beta2 ~ 1/T."""
    ts = args.law_iterations
    lines.append(f"\n### {task.name}: smallest sufficient M against log2 T\n")
    lines.append(f"Tolerance: mean gradient norm over the last 10% of "
                 f"iterations at most {args.tolerance}x that of f32 at the "
                 f"same T (floored at 1e-3 of the initial gradient norm), for "
                 f"M and every wider mantissa. Schedule: lr = {args.law_lr[task.optimizer]} * "
                 f"sqrt({ts[0]} / T)"
                 + (", beta2 = 1 - 1/T" if task.optimizer == "adam" else "")
                 + ".\n")
    components = list(THEORY_SLOPE[task.optimizer])
    lines.append("| component | " + " | ".join(f"T={t}" for t in ts) +
                 " | fitted slope | theorem slope | fitted c (theorem slope) |")
    lines.append("|---" * (len(ts) + 4) + "|")
    constants = {}
    for short in components:
        found = []
        for t in ts:
            lr = args.law_lr[task.optimizer] * math.sqrt(ts[0] / t)
            options = [f"--lr={lr}"]
            if task.optimizer == "adam":
                options.append(f"--beta2={1.0 - 1.0 / t}")
            base = runner.run(task, f"law-fp32-T{t}",
                              ["--quantize=none"] + options, t)
            # An f32 run that converges exactly (gradient norm 0) would
            # leave no width within any factor of it: a floor of 1e-3 of
            # the initial gradient norm counts as converged.
            floor = 1e-3 * float(base["rows"][0]["grad_norm"])
            target = args.tolerance * max(base["grad_norm"], floor)
            found.append(smallest_bits(runner, task, short, t, target,
                                       options))
        xs = [math.log2(t) for t in ts]
        mx, my = sum(xs) / len(xs), sum(found) / len(found)
        sxx = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, found)) / sxx
        k = THEORY_SLOPE[task.optimizer][short]
        c = sum(y - k * x for x, y in zip(xs, found)) / len(xs)
        constants[COMPONENTS[short]] = round(c, 2)
        lines.append(f"| {COMPONENTS[short]} | " +
                     " | ".join(str(m) for m in found) +
                     f" | {slope:.2f} | {k} | {c:.2f} |")
    calibration[task.optimizer] = constants


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true",
                        help="a quarter of the iterations (for smoke tests)")
    parser.add_argument("--skip-law", action="store_true")
    parser.add_argument("--only", nargs="+", default=None,
                        help="run only these tasks (e.g. mlp-muon)")
    parser.add_argument("--tolerance", type=float, default=2.0)
    parser.add_argument("--law-iterations", type=int, nargs="+",
                        default=[30, 300, 3000, 30000])
    args = parser.parse_args()
    args.root = root
    args.out = args.out or os.path.join(args.build, "experiments")
    args.law_lr = {"adam": 0.03, "muon": 0.1}
    os.makedirs(args.out, exist_ok=True)
    runner = Runner(args)
    print(f"experiments: seed {args.seed}, output in {args.out}")

    lines = ["# qopt experiments", "",
             f"Stochastic rounding, seed {args.seed}, 8 exponent bits "
             "(f32's range: only the mantissa is cut, as in the paper). "
             "Final values are means over the last 10% of iterations.",
             "", "## Mantissa sweep and ablation"]
    plots = []
    for task in tasks(root, args.quick):
        if args.only and task.name not in args.only:
            continue
        print(f"== {task.name}", flush=True)
        curves, baseline = sweep(runner, task, lines)
        ablation(runner, task, baseline, lines)
        png = plot(task, curves, args.out)
        if png:
            plots.append(png)
    calibration = {}
    if not args.skip_law:
        lines += ["", "## The log T law, measured"]
        for task in tasks(root, False):
            if task.name.startswith("rosenbrock") and (
                    not args.only or task.name in args.only):
                print(f"== log T law: {task.name}", flush=True)
                log_t_law(runner, task, lines, calibration, args)
        path = os.path.join(args.out, "calibration.json")
        with open(path, "w") as f:
            json.dump(calibration, f, indent=2, sort_keys=True)
            f.write("\n")
        lines += ["", f"Calibration written to `{path}`:", "", "```json",
                  json.dumps(calibration, indent=2, sort_keys=True), "```"]
    if plots:
        lines += ["", "## Plots", ""] + [f"- `{p}`" for p in plots]
    summary = os.path.join(args.out, "summary.md")
    with open(summary, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nexperiments: {runner.count} runs; summary in {summary}")


if __name__ == "__main__":
    main()
