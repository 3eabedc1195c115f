"""Checks the --error-budget columns of a qopt-run CSV.

Every probed row must have, per component, a maximum relative error of at
most FACTOR * 2^-M (1 for stochastic rounding, 0.5 for nearest-even), an
RMS no larger than the maximum, and at least one component with a non-zero
error after the first iteration.
Usage: check_budget.py RUN.csv FACTOR
"""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
factor = float(sys.argv[2])
components = sorted({k[:-len("_rel_max")] for k in rows[0]
                     if k.endswith("_rel_max")})
assert components, "no error-budget columns"
seen_error = False
for row in rows:
    if not row[components[0] + "_rel_max"]:
        continue
    for c in components:
        rel_max = float(row[c + "_rel_max"])
        rms = float(row[c + "_rel_rms"])
        unit = float(row[c + "_unit"])
        if rel_max > factor * unit * (1 + 1e-6) or rms > rel_max * (1 + 1e-6):
            sys.exit("iteration %s %s: max %g rms %g unit %g" %
                     (row["iteration"], c, rel_max, rms, unit))
        seen_error |= int(row["iteration"]) > 1 and rel_max > 0
sys.exit(0 if seen_error else "no quantization error measured at all")
