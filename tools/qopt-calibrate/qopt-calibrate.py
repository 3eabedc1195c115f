#!/usr/bin/env python3
"""qopt-calibrate: measure the constants c of --assign-precision on a pilot.

  qopt-calibrate STEP.mlir --pilot-iterations=T0 --iterations=T \
      [--seeds=N] [--tolerance=R] -o calibration.json

The theorems give each component's mantissa width as M = slope * log2 T + c
(slope 2 for Adam's weight and second moment, 1 for its gradient and first
moment, 0.5 for Muon) and hide c. This tool measures it (docs/Calibration.md):

1. f32 pilots: T0 iterations per seed, the average over the run of the
   gradient norm at the master weights (qopt-run's master_grad_norm).
2. One component at a time: the smallest M whose average master gradient
   norm, mean over the seeds, stays within R of f32's (binary search over
   0..23; the norm grows as M shrinks).
3. All components together at those widths; while that misses R, every
   width grows by one bit.
4. c = M - slope * log2 T0 (plus one under nearest-even, which halves q),
   per optimizer of the step, written in the format calibration-file=
   reads, with the measurements under "_qopt_calibrate".
5. The check: T iterations (T >= 4 T0) with --assign-precision and the
   file, against f32 at T. If it misses R, every c grows by the smallest
   k that passes (bisection up to every component at 23 bits), then each
   component gives back the part of k it does not need (bisection, the
   others fixed), and the tool says what it raised; if even f32 misses,
   the file asks for f32 (c = 23).
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

SLOPE = {("adam", "weight"): 2.0, ("adam", "second_moment"): 2.0,
         ("adam", "grad"): 1.0, ("adam", "first_moment"): 1.0,
         ("muon", "weight"): 0.5, ("muon", "grad"): 0.5,
         ("muon", "first_moment"): 0.5}
SHORT = {"weight": "w", "grad": "g", "first_moment": "m",
         "second_moment": "v"}
ORDER = ["weight", "grad", "first_moment", "second_moment"]
AVERAGE = re.compile(r"^average over (\d+) probes: master_loss (\S+) "
                     r"master_grad_norm (\S+)$", re.MULTILINE)


LOG = sys.stdout


def log(message):
    """Progress: on stdout, or on stderr when the file goes to stdout."""
    print(message, file=LOG, flush=True)


def fail(message):
    sys.exit(f"qopt-calibrate: {message}")


class Runner:
    """Runs qopt-run, several at a time, and caches results by options."""

    def __init__(self, args):
        self.args = args
        self.cache = {}
        self.count = 0
        self.pool = concurrent.futures.ThreadPoolExecutor(args.jobs)

    def _one(self, iterations, seed, options):
        command = [self.args.qopt_run, self.args.step,
                   f"--iterations={iterations}", f"--seed={seed}",
                   f"--probe-every={self.args.probe_every}",
                   f"--rounding={self.args.rounding}"] + \
            self.args.run_options + options
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
        match = AVERAGE.search(result.stdout)
        if not match:
            fail(f"{' '.join(command)} printed no probe averages")
        norm = float(match.group(3))
        return norm if math.isfinite(norm) else math.inf

    def norms(self, iterations, options):
        """The average master gradient norm of each seed."""
        key = (iterations, tuple(options))
        if key not in self.cache:
            futures = [self.pool.submit(self._one, iterations, seed, options)
                       for seed in self.args.seed_list]
            self.cache[key] = [f.result() for f in futures]
            self.count += len(futures)
        return self.cache[key]


def mean(xs):
    return sum(xs) / len(xs)


def describe(norms):
    if len(norms) > 1 and all(math.isfinite(x) for x in norms):
        return f"{mean(norms):.4g} +- {statistics.stdev(norms):.2g}"
    return f"{mean(norms):.4g}"


def step_components(args):
    """(optimizer, component) pairs of the step, from qopt-opt's report."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        command = [args.qopt_opt, args.step, "--qopt-insert-quantization",
                   f"--assign-precision=iterations={args.pilot_iterations} "
                   f"report-file={report}", "-o", os.devnull]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
        data = json.load(open(report))
    pairs = set()
    for function in data["functions"]:
        for entry in function["components"]:
            pairs.add((entry["optimizer"], entry["component"]))
    if not pairs:
        fail(f"{args.step} has no optimizer update to calibrate")
    return pairs


def smallest_bits(runner, args, component, target):
    """Smallest M in [0, 23] within `target`, by bisection."""
    low, high = 0, 23  # high passes: f32 up to rounding noise
    while low < high:
        mid = (low + high) // 2
        norms = runner.norms(args.pilot_iterations,
                             [f"--quantize={SHORT[component]}",
                              f"--man-bits={mid}"])
        ok = mean(norms) <= target
        log(f"  {component} M={mid}: average master grad norm "
              f"{describe(norms)} ({'within' if ok else 'beyond'} "
              f"{args.tolerance}x f32)")
        if ok:
            high = mid
        else:
            low = mid + 1
    return low


def joint_options(bits):
    options = ["--quantize=" + ",".join(SHORT[c] for c in bits)]
    options += [f"--man-bits-{SHORT[c]}={m}" for c, m in bits.items()]
    return options


def constants_for(pairs, bits, t0, rounding):
    """c per optimizer and component, so that --assign-precision gives
    `bits` at T0 (rounded up to 0.01 so that the ceiling keeps M)."""
    extra = 1 if rounding == "nearest_even" else 0
    table = {}
    for optimizer, component in sorted(pairs):
        c = bits[component] + extra - SLOPE[(optimizer, component)] * \
            math.log2(t0)
        table.setdefault(optimizer, {})[component] = \
            round(math.ceil(c * 100 - 1e-6) / 100, 2)
    return table


def write(path, table, notes):
    data = {"_qopt_calibrate": notes}
    data.update(table)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if path == "-":
        sys.stdout.write(text)
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        prog="qopt-calibrate",
        description="Calibrate the constants of --assign-precision on pilot "
                    "runs of a training step (docs/Calibration.md).")
    parser.add_argument("step", help="training step (qopt-run's contract)")
    parser.add_argument("--pilot-iterations", type=int, required=True,
                        help="T0, the length of each pilot run")
    parser.add_argument("--iterations", type=int, required=True,
                        help="T >= 4 T0, the run the calibration is checked "
                             "on")
    parser.add_argument("--seeds", type=int, default=5,
                        help="seeds per measurement (default 5)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--tolerance", type=float, default=1.25,
                        help="R: the average master gradient norm may be at "
                             "most R times f32's (default 1.25)")
    parser.add_argument("--rounding", default="stochastic",
                        choices=["stochastic", "nearest_even", "toward_zero"])
    parser.add_argument("--probe-every", type=int, default=1,
                        help="qopt-run's --probe-every for every run")
    parser.add_argument("--run-options", default="",
                        help="more qopt-run options for every run, e.g. "
                             "\"--eval-examples=1000 --lr=0.01\"")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--qopt-run", default=os.path.join(here, "qopt-run"))
    parser.add_argument("--qopt-opt", default=os.path.join(here, "qopt-opt"))
    parser.add_argument("-o", "--output", required=True,
                        help="calibration file to write ('-': stdout)")
    args = parser.parse_args()

    if args.pilot_iterations < 1:
        fail(f"--pilot-iterations must be at least 1, got "
             f"{args.pilot_iterations}")
    if args.iterations < 4 * args.pilot_iterations:
        fail(f"--iterations must be at least 4 x --pilot-iterations (the "
             f"check extrapolates), got {args.iterations} < "
             f"{4 * args.pilot_iterations}")
    if args.seeds < 1:
        fail(f"--seeds must be at least 1, got {args.seeds}")
    if not (args.tolerance >= 1.0 and math.isfinite(args.tolerance)):
        fail(f"--tolerance must be a finite number >= 1, got "
             f"{args.tolerance}")
    if args.jobs < 1 or args.probe_every < 1:
        fail("--jobs and --probe-every must be at least 1")
    if not os.path.exists(args.step):
        fail(f"cannot open {args.step}")
    for tool in (args.qopt_run, args.qopt_opt):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            fail(f"cannot run {tool} (pass --qopt-run / --qopt-opt)")
    global LOG
    if args.output == "-":
        LOG = sys.stderr
    args.seed_list = list(range(args.first_seed,
                                args.first_seed + args.seeds))
    args.run_options = args.run_options.split()
    runner = Runner(args)
    t0, t = args.pilot_iterations, args.iterations

    pairs = step_components(args)
    components = [c for c in ORDER if any(p[1] == c for p in pairs)]
    log(f"qopt-calibrate: {args.step}: "
          + ", ".join(f"{o} {c}" for o, c in sorted(pairs))
          + f"; pilots of T0 = {t0}, seeds {args.seed_list}, "
          f"R = {args.tolerance}, {args.rounding} rounding")

    base = runner.norms(t0, ["--quantize=none"])
    target = args.tolerance * mean(base)
    log(f"f32 at T0 = {t0}: average master grad norm {describe(base)}")
    bits = {}
    for component in components:
        bits[component] = smallest_bits(runner, args, component, target)
        log(f"{component}: M = {bits[component]} alone")

    bump = 0
    while True:
        joint = {c: min(23, m + bump) for c, m in bits.items()}
        norms = runner.norms(t0, joint_options(joint))
        ok = mean(norms) <= target
        log(f"together at {joint}: average master grad norm "
              f"{describe(norms)} ({'within' if ok else 'beyond'} R)")
        if ok or all(m == 23 for m in joint.values()):
            break
        bump += 1

    table = constants_for(pairs, joint, t0, args.rounding)
    notes = {"step": os.path.basename(args.step), "pilot_iterations": t0,
             "iterations": t, "seeds": args.seed_list,
             "tolerance": args.tolerance, "rounding": args.rounding,
             "f32_pilot_grad_norm": mean(base), "bits_alone": bits,
             "joint_extra_bits": bump, "bits_at_pilot": joint}

    # The extrapolation check at T, with the file as --assign-precision
    # reads it.
    base_t = runner.norms(t, ["--quantize=none"])
    target_t = args.tolerance * mean(base_t)
    log(f"f32 at T = {t}: average master grad norm {describe(base_t)}")
    check_dir = tempfile.mkdtemp(prefix="qopt-calibrate-")
    results = {}

    def check(margins):
        """Runs T iterations with each c raised by its margin (a dict
        keyed by (optimizer, component))."""
        key = tuple(sorted(margins.items()))
        if key not in results:
            trial = {o: {c: round(v + margins[(o, c)], 2)
                         for c, v in cs.items()}
                     for o, cs in table.items()}
            trial_path = os.path.join(check_dir, f"c{len(results)}.json")
            write(trial_path, trial, notes)
            norms = runner.norms(
                t, ["--assign-precision",
                    f"--assign-options=calibration-file={trial_path}"])
            ok = mean(norms) <= target_t
            log(f"check at T = {t} with c {trial}: average master grad "
                f"norm {describe(norms)} ({'within' if ok else 'beyond'} "
                f"{args.tolerance}x f32)")
            results[key] = (ok, trial, norms)
        return results[key][0]

    keys = [(o, c) for o, cs in table.items() for c in cs]
    uniform = lambda k: {key: k for key in keys}
    try:
        margins = uniform(0)
        if not check(margins):
            # Every c raised by the same k, the smallest k that passes, by
            # bisection: at `top` every component is f32 (stochastic
            # rounding at 23 bits is exact).
            top = max(23 - math.ceil(SLOPE[(o, c)] * math.log2(t) + v - 1e-9)
                      for o, cs in table.items() for c, v in cs.items()) + 1
            low, high = 0, max(top, 1)
            if check(uniform(high)):
                while high - low > 1:
                    mid = (low + high) // 2
                    if check(uniform(mid)):
                        high = mid
                    else:
                        low = mid
            margins = uniform(high)
            # Then each component gives back what it does not need: the
            # smallest margin of its own that still passes, the others as
            # they stand.
            if check(margins):
                for key in keys:
                    low, high = -1, margins[key]
                    while high - low > 1:
                        mid = (low + high) // 2
                        if check({**margins, key: mid}):
                            high = mid
                        else:
                            low = mid
                    margins[key] = high
        ok, trial, norms = results[tuple(sorted(margins.items()))]
    finally:
        shutil.rmtree(check_dir, ignore_errors=True)

    if ok:
        table = trial
        raised = {f"{o} {c}": k for (o, c), k in margins.items() if k}
        notes["check"] = (f"within R at T = {t}" +
                          (f" after raising c by {json.dumps(raised)} (the "
                           f"pilot constants missed R at T)" if raised
                           else ""))
    else:
        table = {o: {c: 23.0 for c in cs} for o, cs in table.items()}
        notes["check"] = (f"beyond R at T = {t} even with every component "
                          f"at 23 bits: fell back to c = 23 (f32) for every "
                          f"component")
    verdict = notes["check"]
    notes["check_grad_norm"] = mean(norms)
    notes["f32_grad_norm"] = mean(base_t)
    write(args.output, table, notes)
    log(f"qopt-calibrate: {verdict}; {runner.count} runs; constants "
          f"{json.dumps(table, sort_keys=True)}"
          + (f" written to {args.output}" if args.output != "-" else ""))
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
