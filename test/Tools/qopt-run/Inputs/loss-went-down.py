# Exits 1 unless the mean loss of the last 10 rows of a qopt-run CSV is below
# the loss of the first row.
import csv
import sys

losses = [float(row["loss"]) for row in csv.DictReader(open(sys.argv[1]))]
last = sum(losses[-10:]) / len(losses[-10:])
print(f"first loss {losses[0]:.6g}, mean of the last 10 {last:.6g}")
sys.exit(0 if last < losses[0] else 1)
