#!/usr/bin/env python3
"""Re-derives the default constants of --assign-precision, and checks them.

  python3 scripts/derive-defaults.py calibrate [--out DIR]
  python3 scripts/derive-defaults.py verify --calibration FILE [--out DIR]

`calibrate` runs qopt-calibrate on every shipped example (pilots of T0 =
250 iterations, the check at T = 1000, 3 seeds), then lets the most
demanding example win per optimizer and component and adds the safety
margin MARGIN; it writes DIR/defaults.json (the calibration-file format)
and DIR/calibrate.md (the table docs/Calibration.md quotes).

`verify` runs every shipped example at T = 10^3 and 10^4 with
--assign-precision and its built-in default constants (or those of
--calibration FILE), against
f32, and reports the ratio of the average master gradient norms (mean over
the seeds); R = 1.25 must hold everywhere. It writes DIR/verify.md.
"""
import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import concurrent.futures

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARGIN = 1.0
TOLERANCE = 1.25
# example, extra qopt-run options, probe interval and seeds at T = 10^4
# (the Fashion-MNIST MLPs are the expensive ones: one seed at 10^4).
EXAMPLES = [
    ("rosenbrock-adam.mlir", [], 1, None),
    ("rosenbrock-muon.mlir", [], 1, None),
    ("rosenbrock-matrix-adam.mlir", [], 1, None),
    ("rosenbrock-matrix-muon.mlir", [], 1, None),
    ("mlp-adam.mlir", [], 1, None),
    ("mlp-muon.mlir", [], 1, None),
    ("fashion-mlp-adam.mlir", ["--eval-examples=100"], 10, 1),
    ("fashion-mlp-muon.mlir", ["--eval-examples=100"], 10, 1),
]
# Checked by verify but not calibrated: the 10.4M-parameter storage demo
# (a pilot sweep of it would take hours on 2 cores).
VERIFY_ONLY = [
    ("fashion-mlp-wide-adam.mlir", ["--eval-examples=100"], 10, 1),
]
AVERAGE = re.compile(r"^average over \d+ probes: master_loss \S+ "
                     r"master_grad_norm (\S+)$", re.MULTILINE)


def calibrate(args):
    tables = {}
    lines = ["| example | constants (c) | check |", "|---|---|---|"]
    for example, options, _, _ in EXAMPLES:
        out = os.path.join(args.out, example.replace(".mlir", ".json"))
        command = [os.path.join(args.build, "bin", "qopt-calibrate"),
                   os.path.join(ROOT, "examples", example),
                   "--pilot-iterations=250", "--iterations=1000",
                   f"--seeds={args.seeds}", f"--jobs={args.jobs}",
                   "--run-options=" + " ".join(options), "-o", out]
        if args.reuse and os.path.exists(out):
            print(f"== {example}: reusing {out}", flush=True)
        else:
            print("==", " ".join(command), flush=True)
            result = subprocess.run(command, text=True,
                                    stdout=subprocess.PIPE)
            print(result.stdout, flush=True)
            if result.returncode not in (0, 2):
                sys.exit(f"derive-defaults: qopt-calibrate failed on "
                         f"{example}")
        data = json.load(open(out))
        tables[example] = data
        constants = {k: v for k, v in data.items() if not k.startswith("_")}
        lines.append(f"| {example} | {json.dumps(constants, sort_keys=True)}"
                     f" | {data['_qopt_calibrate']['check']} |")
    defaults = {}
    for example, data in tables.items():
        for optimizer, constants in data.items():
            if optimizer.startswith("_"):
                continue
            for component, c in constants.items():
                entry = defaults.setdefault(optimizer, {})
                if c > entry.get(component, (-math.inf, ""))[0]:
                    entry[component] = (c, example)
    final = {o: {c: round(v[0] + MARGIN, 2) for c, v in cs.items()}
             for o, cs in defaults.items()}
    lines += ["", f"Most demanding example per component, plus a margin of "
              f"{MARGIN} bit:", "",
              "| optimizer | component | largest c | from | default c |",
              "|---|---|---|---|---|"]
    for optimizer in sorted(defaults):
        for component in sorted(defaults[optimizer]):
            c, example = defaults[optimizer][component]
            lines.append(f"| {optimizer} | {component} | {c} | {example} | "
                         f"{final[optimizer][component]} |")
    with open(os.path.join(args.out, "defaults.json"), "w") as f:
        json.dump(final, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(args.out, "calibrate.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def run_norm(args, example, options, iterations, seed, probe_every):
    command = [os.path.join(args.build, "bin", "qopt-run"),
               os.path.join(ROOT, "examples", example),
               f"--iterations={iterations}", f"--seed={seed}",
               f"--probe-every={probe_every}"] + options
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"derive-defaults: {' '.join(command)} failed:\n"
                 f"{result.stderr}")
    return float(AVERAGE.search(result.stdout).group(1))


def verify(args):
    pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
    lines = ["| example | T | seeds | f32 | defaults | ratio | within R |",
             "|---|---|---|---|---|---|---|"]
    failed = 0
    for iterations in args.iterations:
        for example, options, probe, long_seeds in EXAMPLES + VERIFY_ONLY:
            if args.only and example not in args.only:
                continue
            verify_only = (example, options, probe, long_seeds) in VERIFY_ONLY
            probe_every = probe if iterations > 1000 or verify_only else 1
            count = args.seeds if iterations <= 1000 or not long_seeds \
                else long_seeds
            if verify_only:
                count = long_seeds
            seeds = range(1, count + 1)
            chosen = ["--assign-precision"]
            if args.calibration:
                chosen.append(
                    f"--assign-options=calibration-file={args.calibration}")
            configs = {"f32": options + ["--quantize=none"],
                       "defaults": options + chosen}
            futures = {name: [pool.submit(run_norm, args, example, opts,
                                          iterations, s, probe_every)
                              for s in seeds]
                       for name, opts in configs.items()}
            norms = {name: [f.result() for f in fs]
                     for name, fs in futures.items()}
            base = statistics.mean(norms["f32"])
            got = statistics.mean(norms["defaults"])
            ratio = got / base if base > 0 else math.inf
            ok = ratio <= TOLERANCE
            failed += not ok
            lines.append(f"| {example} | {iterations} | {count} | "
                         f"{base:.4g} | "
                         f"{got:.4g} | {ratio:.3f} | "
                         f"{'yes' if ok else 'NO'} |")
            print(lines[-1], flush=True)
    with open(os.path.join(args.out, "verify.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["calibrate", "verify"])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--calibration", default=None)
    parser.add_argument("--iterations", type=int, nargs="+",
                        default=[1000, 10000],
                        help="the T values verify checks")
    parser.add_argument("--only", nargs="+", default=None,
                        help="verify: only these examples")
    parser.add_argument("--reuse", action="store_true",
                        help="calibrate: keep the files of examples already "
                             "calibrated in --out")
    args = parser.parse_args()
    # Runs go --jobs at a time; each qopt-run on every core would only
    # oversubscribe them (qopt-run --cpu-threads defaults to all cores).
    if args.jobs > 1:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    args.out = args.out or os.path.join(args.build, "defaults")
    os.makedirs(args.out, exist_ok=True)
    if args.mode == "calibrate":
        calibrate(args)
        return 0
    return verify(args)


if __name__ == "__main__":
    sys.exit(main())
