# Compares the loss column of two qopt-run CSVs row by row: the same
# iterations, and every loss of OTHER within RTOL (relative) of REF's.
# Prints the largest relative difference (for the record in the test log).
#
#   compare-losses.py REF.csv OTHER.csv RTOL
import csv
import sys

ref_path, other_path, rtol = sys.argv[1], sys.argv[2], float(sys.argv[3])


def losses(path):
    with open(path) as f:
        return [(int(r["iteration"]), float(r["loss"])) for r in csv.DictReader(f)]


ref, other = losses(ref_path), losses(other_path)
if [i for i, _ in ref] != [i for i, _ in other]:
    sys.exit(f"different iterations: {len(ref)} rows against {len(other)}")
worst = max(abs(b - a) / abs(a) for (_, a), (_, b) in zip(ref, other))
print(f"max relative loss difference {worst:.3g} (rtol {rtol:g}) over {len(ref)} rows")
if not worst <= rtol:
    sys.exit(f"{other_path}: losses differ from {ref_path} by {worst:.3g} > {rtol:g}")
