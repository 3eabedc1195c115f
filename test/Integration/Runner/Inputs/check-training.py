#!/usr/bin/env python3
# Checks a qopt-run CSV: the expected number of rows, a loss that went down
# (mean of the last 5 iterations below the mean of the first 5) and a final
# test accuracy of at least the given minimum.
import csv
import sys

path, rows, min_accuracy = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
with open(path) as f:
    records = list(csv.DictReader(f))
if len(records) != rows:
    sys.exit(f"{path}: {len(records)} rows, expected {rows}")
loss = [float(r["loss"]) for r in records]
first, last = sum(loss[:5]) / 5, sum(loss[-5:]) / 5
if not last < first:
    sys.exit(f"{path}: loss did not go down: first 5 mean {first}, "
             f"last 5 mean {last}")
accuracy = float(records[-1]["test_accuracy"])
if not accuracy >= min_accuracy:
    sys.exit(f"{path}: final test accuracy {accuracy} < {min_accuracy}")
print(f"loss {first:.4f} -> {last:.4f}, test accuracy {accuracy:.4f}")
