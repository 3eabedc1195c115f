#!/usr/bin/env python3
"""The paper's experiments through the qopt compiler, as one command.

Runs qopt-run over the examples and writes, under the output directory:
  csv/<task>.<config>.s<seed>.csv   every run, every seed (per-iteration
                                    worker and master loss, gradient norms)
  runs.csv                          one line per run: its summary metrics
  summary.md                        the tables: mantissa sweep (stochastic
                                    and nearest-even), one-component
                                    ablation, the log T law
  plots/<task>.png                  master gradient norm vs iteration per M,
                                    mean over the seeds with a min-max band
  modules/<task>.mlir               with --torch: the modules imported from
                                    PyTorch (examples/torch/)
The metric is the one the theorems bound: the gradient norm at the master
weights, averaged over the run (qopt-run's probe, docs/Runner.md). Every
point runs --seeds seeds (default 5); tables give mean +- standard
deviation over them and the ratio of the mean to f32's.
"""
import argparse
import concurrent.futures
import csv
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

SWEEP_BITS = [23, 10, 7, 3, 2, 1]
ROUNDING_CHOICES = ["stochastic", "nearest_even"]
ABLATION_BITS = [3, 1]
COMPONENTS = {"w": "weight", "g": "grad", "m": "first_moment",
              "v": "second_moment"}
# Theorem slopes of M against log2 T (docs/Rationale.md).
THEORY_SLOPE = {"adam": {"w": 2.0, "g": 1.0, "m": 1.0, "v": 2.0},
                "muon": {"w": 0.5, "g": 0.5, "m": 0.5}}
# Two-sided 95% Student t quantiles by degrees of freedom.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447,
       7: 2.365, 8: 2.306, 10: 2.228, 20: 2.086}
AVERAGE = re.compile(r"^average over \d+ probes: master_loss (\S+) "
                     r"master_grad_norm (\S+)$", re.MULTILINE)


class Task:
    def __init__(self, name, example, optimizer, iterations, quick_iterations,
                 classifier=False, extra=(), schedule=None, probe_every=1,
                 torch_model=None, import_options=(), bits=None,
                 roundings=None, ablation=True):
        self.name = name
        # A module of examples/, or (torch_model set) the one
        # qopt-import-torch generates from that PyTorch model file with
        # --optimizer `optimizer` and `import_options`, under OUT/modules/.
        self.example = example
        self.torch_model = torch_model
        self.import_options = list(import_options)
        # The sweep's mantissa widths and roundings (None: all of them).
        self.bits = bits
        self.roundings = roundings
        self.ablation = ablation
        self.optimizer = optimizer
        self.full_iterations = iterations
        self.quick_iterations = quick_iterations
        self.classifier = classifier
        self.extra = list(extra)
        # (lr at T_REF): lr = lr0 * sqrt(T_REF / T), and for Adam
        # beta2 = 1 - 1/T, the theorems' schedule.
        self.schedule = schedule
        self.probe_every = probe_every

    def options(self, iterations):
        options = list(self.extra) + [f"--probe-every={self.probe_every}"]
        if self.schedule:
            options.append(f"--lr={self.schedule * math.sqrt(T_REF / iterations):.6g}")
            if self.optimizer == "adam":
                options.append(f"--beta2={1.0 - 1.0 / iterations:.9g}")
        return options


T_REF = 1000

TASKS = [
    Task("rosenbrock2d-adam", "examples/rosenbrock-adam.mlir", "adam",
         3000, 1000, schedule=0.05),
    Task("rosenbrock2d-muon", "examples/rosenbrock-muon.mlir", "muon",
         3000, 1000, schedule=0.01),
    Task("rosenbrock8x8-adam", "examples/rosenbrock-matrix-adam.mlir", "adam",
         3000, 1000, schedule=0.01),
    Task("rosenbrock8x8-muon", "examples/rosenbrock-matrix-muon.mlir", "muon",
         3000, 1000, schedule=0.02),
    # --quick: 100 and 50 steps (docs/Experiments.md's quick tables used
    # 200 and 100, which took about 18 minutes on 2 idle cores).
    Task("mlp-adam", "examples/fashion-mlp-adam.mlir", "adam", 3000, 100,
         classifier=True, extra=["--eval-examples=2000"], probe_every=10),
    Task("mlp-muon", "examples/fashion-mlp-muon.mlir", "muon", 3000, 50,
         classifier=True, extra=["--eval-examples=2000"], probe_every=10),
]
# Models imported from PyTorch (docs/PyTorch.md), as in the paper's revised
# version: Adam (AdamW for the language model) beside Muon (on the 2-D
# weights, Adam on the rest). Stochastic rounding, the sweep's corners; no
# ablation; the importer's default hyper-parameters (Adam lr 1e-3, Muon
# lr 0.02). --quick: 300 steps of the CNN (about 0.1 s a step on one core)
# and 100 of the transformer (about 0.2 s a step on an idle core, plus
# about 15 s to compile it).
TORCH_BITS = [23, 7, 3, 1]
TASKS += [
    Task("cnn-adam", None, "adam", 3000, 300,
         torch_model="examples/torch/fashion_cnn.py", probe_every=10,
         bits=TORCH_BITS, roundings=["stochastic"], ablation=False),
    Task("cnn-muon", None, "muon", 3000, 300,
         torch_model="examples/torch/fashion_cnn.py", probe_every=10,
         bits=TORCH_BITS, roundings=["stochastic"], ablation=False),
    Task("gpt-adamw", None, "adamw", 2000, 100,
         torch_model="examples/torch/char_gpt.py", probe_every=10,
         bits=TORCH_BITS, roundings=["stochastic"], ablation=False),
    Task("gpt-muon", None, "muon", 2000, 100,
         torch_model="examples/torch/char_gpt.py", probe_every=10,
         bits=TORCH_BITS, roundings=["stochastic"], ablation=False),
]
LAW_TASKS = ["rosenbrock2d-adam", "rosenbrock2d-muon"]


def import_torch_model(args, task):
    """Generates `task`'s module with qopt-import-torch (once per output
    directory: a module already there is reused) and returns its path. Its
    big parameters' initial values are in a side file beside it."""
    directory = os.path.join(args.out, "modules")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, task.name + ".mlir")
    if os.path.exists(path):
        return path
    command = [os.path.join(args.build, "bin", "qopt-import-torch"),
               os.path.join(args.root, task.torch_model),
               f"--optimizer={task.optimizer}"] + task.import_options + \
        ["-o", path + ".tmp", "--init-file",
         os.path.join(directory, task.name + ".init.bin")]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"experiments: {' '.join(command)} failed:\n"
                 f"{result.stderr}")
    os.replace(path + ".tmp", path)
    return path


def summarise(path, stdout):
    """Metrics of one run: the average master gradient norm over the run
    (the theorems' quantity), the final master loss (mean over the last 10%
    of the probes), the average ||grad f(Q_W(W)) - grad f(W)||, the final
    accuracy."""
    match = AVERAGE.search(stdout)
    rows = list(csv.DictReader(open(path)))
    probed = [r for r in rows if r["master_loss"]]
    tail = probed[-max(1, len(probed) // 10):]
    fin = lambda x: x if math.isfinite(x) else math.inf
    accuracy = None
    for r in rows:
        if r["test_accuracy"]:
            accuracy = float(r["test_accuracy"])
    return {
        "norm": fin(float(match.group(2))),
        "loss": fin(statistics.mean(float(r["master_loss"]) for r in tail)),
        "gap": fin(statistics.mean(float(r["weight_grad_gap"])
                                   for r in probed)),
        "accuracy": accuracy,
        "rows": probed,
    }


class Runner:
    def __init__(self, args):
        self.args = args
        self.qopt_run = os.path.join(args.build, "bin", "qopt-run")
        self.csv_dir = os.path.join(args.out, "csv")
        os.makedirs(self.csv_dir, exist_ok=True)
        self.pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
        self.cache = {}
        self.count = 0
        self.log = open(os.path.join(args.out, "runs.csv"), "w")
        self.log.write("task,config,iterations,seed,mean_master_grad_norm,"
                       "final_master_loss,mean_weight_grad_gap,"
                       "test_accuracy,seconds\n")

    def _one(self, task, label, options, iterations, seed):
        path = os.path.join(self.csv_dir, f"{task.name}.{label}.s{seed}.csv")
        command = [self.qopt_run, os.path.join(self.args.root, task.example),
                   f"--iterations={iterations}", f"--seed={seed}",
                   f"--csv={path}"] + task.options(iterations) + options
        started = time.time()
        # A finished run of the same command is reused (--resume): its
        # stdout is kept beside the CSV, headed by the command.
        done = path + ".out"
        head = "# " + " ".join(command[1:]) + "\n"
        if self.args.resume and os.path.exists(done):
            with open(done) as f:
                stdout = f.read()
            if stdout.startswith(head):
                metrics = summarise(path, stdout)
                self.log.write(f"{task.name},{label},{iterations},{seed},"
                               f"{metrics['norm']:.9g},{metrics['loss']:.9g},"
                               f"{metrics['gap']:.9g},"
                               f"{'' if metrics['accuracy'] is None else metrics['accuracy']},"
                               f"0\n")
                return metrics
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"experiments: {' '.join(command)} failed:\n"
                     f"{result.stderr}")
        with open(done, "w") as f:
            f.write(head + result.stdout)
        metrics = summarise(path, result.stdout)
        seconds = time.time() - started
        self.log.write(f"{task.name},{label},{iterations},{seed},"
                       f"{metrics['norm']:.9g},{metrics['loss']:.9g},"
                       f"{metrics['gap']:.9g},"
                       f"{'' if metrics['accuracy'] is None else metrics['accuracy']},"
                       f"{seconds:.2f}\n")
        self.log.flush()
        return metrics

    def run(self, task, label, options, iterations=None):
        """Runs every seed of one configuration; returns their metrics."""
        iterations = iterations or task.iterations
        key = (task.name, label, iterations)
        if key not in self.cache:
            futures = [self.pool.submit(self._one, task, label, options,
                                        iterations, seed)
                       for seed in self.args.seed_list]
            self.cache[key] = [f.result() for f in futures]
            self.count += len(futures)
            runs = self.cache[key]
            print(f"  [{self.count:4d}] {task.name} {label} T={iterations}: "
                  f"mean master grad norm {show(runs, 'norm')}",
                  flush=True)
        return self.cache[key]


def mean_of(runs, key):
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.mean(values) if values else None


def show(runs, key, digits=4):
    values = [r[key] for r in runs if r[key] is not None]
    if not values:
        return "-"
    m = statistics.mean(values)
    if not math.isfinite(m):
        return "inf"
    if len(values) > 1:
        return f"{m:.{digits}g} ± {statistics.stdev(values):.2g}"
    return f"{m:.{digits}g}"


def table_head(task, labels):
    columns = labels + ["mean master grad norm", "vs f32",
                        "final master loss", "mean ‖∇f(Q_W(W))−∇f(W)‖"]
    if task.classifier:
        columns.append("test accuracy")
    return ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]


def table_row(task, labels, runs, base):
    ratio = mean_of(runs, "norm") / mean_of(base, "norm")
    cells = labels + [show(runs, "norm"), f"{ratio:.2f}x",
                      show(runs, "loss"), show(runs, "gap", 3)]
    if task.classifier:
        cells.append(show(runs, "accuracy", 3))
    return "| " + " | ".join(cells) + " |"


def sweep(runner, task, lines, results):
    lines.append(f"\n### {task.name}: all components at M mantissa bits "
                 f"(T = {task.iterations})\n")
    lines += table_head(task, ["rounding", "M"])
    base = runner.run(task, "fp32", ["--quantize=none"])
    lines.append(table_row(task, ["f32", "-"], base, base))
    curves = {"f32": base}
    for rounding in runner.args.roundings:
        if task.roundings and rounding not in task.roundings:
            continue
        for bits in runner.args.bits or task.bits or SWEEP_BITS:
            runs = runner.run(task, f"{rounding}-M{bits}",
                              [f"--man-bits={bits}", f"--rounding={rounding}"])
            lines.append(table_row(task, [rounding, str(bits)], runs, base))
            results[(task.name, rounding, bits)] = \
                mean_of(runs, "norm") / mean_of(base, "norm")
            if rounding == "stochastic":
                curves[f"M={bits}"] = runs
    return curves, base


def ablation(runner, task, base, lines, results):
    lines.append(f"\n### {task.name}: one component at a time "
                 f"(stochastic rounding, T = {task.iterations})\n")
    lines += table_head(task, ["quantized", "M"])
    for short in THEORY_SLOPE[task.optimizer]:
        for bits in ABLATION_BITS:
            runs = runner.run(task, f"only-{short}-M{bits}",
                              [f"--quantize={short}", f"--man-bits={bits}"])
            lines.append(table_row(task, [f"only {COMPONENTS[short]}",
                                          str(bits)], runs, base))
            results[(task.name, "only", short, bits)] = \
                mean_of(runs, "norm") / mean_of(base, "norm")


def plot(task, curves, out):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return None
    plot_dir = os.path.join(out, "plots")
    os.makedirs(plot_dir, exist_ok=True)
    data = os.path.join(plot_dir, f"{task.name}.dat")
    with open(data, "w") as f:
        for label, runs in curves.items():
            f.write(f'"{label}"\n')
            for i, row in enumerate(runs[0]["rows"]):
                values = [float(r["rows"][i]["master_grad_norm"])
                          for r in runs if i < len(r["rows"])]
                values = [v for v in values if v > 0 and math.isfinite(v)]
                if values:
                    f.write(f"{row['iteration']} {statistics.mean(values)} "
                            f"{min(values)} {max(values)}\n")
            f.write("\n\n")
    png = os.path.join(plot_dir, f"{task.name}.png")
    n = len(curves)
    script = (f'set terminal pngcairo size 900,560\nset output "{png}"\n'
              f'set title "{task.name}: master gradient norm, mean and '
              f'min-max over seeds (stochastic rounding)"\nset logscale y\n'
              f'set xlabel "iteration"\nset ylabel "gradient norm at W"\n'
              f'set key outside right\nset style fill transparent solid 0.2 '
              f'noborder\n'
              f'plot for [i=0:{n - 1}] "{data}" index i using 1:3:4 with '
              f'filledcurves lc i+1 notitle, '
              f'for [i=0:{n - 1}] "{data}" index i using 1:2 with lines '
              f'lc i+1 title columnheader(1)\n')
    result = subprocess.run([gnuplot], input=script, text=True,
                            capture_output=True)
    if result.returncode != 0:
        script = script.replace("pngcairo", "png").replace(
            "transparent solid 0.2", "solid 0.2")
        subprocess.run([gnuplot], input=script, text=True, check=True)
    return png


def smallest_bits(runner, task, short, iterations, target):
    """Smallest M (bisection over 0..23) whose mean master gradient norm
    over the seeds stays within `target`, the component alone."""
    low, high = 0, 23
    while low < high:
        mid = (low + high) // 2
        runs = runner.run(task, f"law-{short}-T{iterations}-M{mid}",
                          [f"--quantize={short}", f"--man-bits={mid}"],
                          iterations)
        if mean_of(runs, "norm") <= target:
            high = mid
        else:
            low = mid + 1
    return low


def fit(xs, ys):
    """Least-squares slope and its 95% confidence half-width."""
    n = len(xs)
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    if n < 3:
        return slope, math.inf
    residual = sum((y - my - slope * (x - mx)) ** 2 for x, y in zip(xs, ys))
    se = math.sqrt(residual / (n - 2) / sxx)
    return slope, T95.get(n - 2, 2.0) * se


def log_t_law(runner, task, lines, law, args):
    ts = args.law_iterations
    lines.append(f"\n### {task.name}: smallest sufficient M against log2 T\n")
    lines.append(f"Each component alone; M is the smallest width whose mean "
                 f"master gradient norm over the run (mean of "
                 f"{len(args.seed_list)} seeds) is within "
                 f"{args.tolerance}x f32's at the same T. Schedule: lr = "
                 f"{task.schedule} * sqrt({T_REF} / T)"
                 + (", beta2 = 1 - 1/T" if task.optimizer == "adam" else "")
                 + ". The slope is fitted by least squares with its 95% "
                   "confidence interval (Student t, n - 2 degrees of "
                   "freedom).\n")
    lines.append("| component | " + " | ".join(f"T={t}" for t in ts) +
                 " | fitted slope (95% CI) | theorem slope | theorem in CI |")
    lines.append("|---" * (len(ts) + 4) + "|")
    for short, k in THEORY_SLOPE[task.optimizer].items():
        found = []
        for t in ts:
            base = runner.run(task, f"law-fp32-T{t}", ["--quantize=none"], t)
            target = args.tolerance * mean_of(base, "norm")
            found.append(smallest_bits(runner, task, short, t, target))
        slope, half = fit([math.log2(t) for t in ts], found)
        inside = slope - half <= k <= slope + half
        law[(task.name, short)] = (found, slope, half, k, inside)
        lines.append(f"| {COMPONENTS[short]} | " +
                     " | ".join(str(m) for m in found) +
                     f" | {slope:.2f} ± {half:.2f} | {k} | "
                     f"{'yes' if inside else 'no'} |")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--out", default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true",
                        help="shorter runs (under 15 minutes on 2 cores)")
    parser.add_argument("--skip-law", action="store_true")
    parser.add_argument("--roundings", nargs="+", choices=ROUNDING_CHOICES,
                        default=ROUNDING_CHOICES)
    parser.add_argument("--resume", action="store_true",
                        help="reuse finished runs of the same command "
                        "found in the output directory")
    parser.add_argument("--skip-ablation", action="store_true",
                        help="only the mantissa sweeps (the full-length MLP "
                        "sweeps take hours; docs/Experiments.md)")
    parser.add_argument("--only", nargs="+", default=None,
                        help="run only these tasks (e.g. mlp-muon)")
    parser.add_argument("--torch", action="store_true",
                        help="also the models imported from PyTorch "
                        "(cnn-adam, cnn-muon, gpt-adamw, gpt-muon; they need "
                        "python3-torch, and the transformer takes about 0.2 "
                        "s a step on an idle core; --only names them one by "
                        "one)")
    parser.add_argument("--bits", type=int, nargs="+", default=None,
                        help="the sweep's mantissa widths for every task "
                        "(default: 23 10 7 3 2 1; 23 7 3 1 for the "
                        "imported models)")
    parser.add_argument("--iterations", type=int, default=None,
                        help="T of every selected task's sweep and ablation, "
                        "instead of its full (or --quick) length")
    parser.add_argument("--tolerance", type=float, default=1.25)
    parser.add_argument("--law-iterations", type=int, nargs="+", default=None)
    args = parser.parse_args()
    # Runs go --jobs at a time; each qopt-run on every core would only
    # oversubscribe them (qopt-run --cpu-threads defaults to all cores).
    if args.jobs > 1:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.seeds < 5:
        print("experiments: warning: fewer than 5 seeds per point",
              file=sys.stderr)
    args.root = root
    args.out = args.out or os.path.join(args.build, "experiments")
    args.seed_list = list(range(args.first_seed,
                                args.first_seed + args.seeds))
    args.law_iterations = args.law_iterations or (
        [100, 300, 1000] if args.quick else [100, 300, 1000, 3000, 10000])
    os.makedirs(args.out, exist_ok=True)
    for task in TASKS:
        task.iterations = args.iterations or (
            task.quick_iterations if args.quick else task.full_iterations)
    runner = Runner(args)
    started = time.time()
    print(f"experiments: seeds {args.seed_list}, output in {args.out}",
          flush=True)

    lines = ["# qopt experiments", "",
             f"Seeds {args.seed_list} per point (mean ± standard deviation "
             f"over them; every run's CSV is in csv/). 8 exponent bits "
             f"(f32's range: only the mantissa is cut, as in the paper). "
             f"Metric: the gradient norm at the master weights averaged over "
             f"the run (qopt-run's probe); 'vs f32' is the ratio of its mean "
             f"to f32's. Rosenbrock tasks use the theorems' schedule "
             f"(lr ∝ 1/√T, 1 − β2 = 1/T for Adam)."
             + (" Quick mode: shortened runs." if args.quick else ""),
             "", "## Mantissa sweep and ablation"]
    results, law = {}, {}
    plots = []
    for task in TASKS:
        if args.only and task.name not in args.only:
            continue
        if task.torch_model and not args.only and not args.torch:
            continue
        if task.torch_model:
            task.example = import_torch_model(args, task)
        if not os.path.exists(os.path.join(root, task.example)):
            continue
        print(f"== {task.name} (T = {task.iterations})", flush=True)
        curves, base = sweep(runner, task, lines, results)
        if not args.skip_ablation and task.ablation:
            ablation(runner, task, base, lines, results)
        png = plot(task, curves, args.out)
        if png:
            plots.append(png)
    if not args.skip_law:
        lines += ["", "## The log T law, measured on the master metric"]
        for task in TASKS:
            if task.name in LAW_TASKS and (not args.only or
                                           task.name in args.only):
                print(f"== log T law: {task.name}", flush=True)
                log_t_law(runner, task, lines, law, args)
    if plots:
        lines += ["", "## Plots", ""] + [f"- `{p}`" for p in plots]
    elapsed = time.time() - started
    lines += ["", f"{runner.count} runs in {elapsed / 60:.1f} minutes "
              f"({args.jobs} at a time)."]
    summary = os.path.join(args.out, "summary.md")
    with open(summary, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nexperiments: {runner.count} runs in {elapsed:.0f} s; summary "
          f"in {summary}")


if __name__ == "__main__":
    main()
