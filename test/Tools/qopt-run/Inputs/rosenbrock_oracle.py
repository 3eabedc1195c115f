"""Independent oracle for qopt-run's master-weight probe.

Reads a raw little-endian float32 state file (qopt-run --final-state) whose
first 64 floats are the 8x8 weight matrix of
examples/rosenbrock-matrix-{adam,muon}.mlir, evaluates the row-chained
Rosenbrock function and its gradient norm there in double precision, and
compares them with the master_loss and master_grad_norm of one CSV row.
Usage: rosenbrock_oracle.py STATE.bin RUN.csv ITERATION
"""
import csv
import math
import struct
import sys

state_file, csv_file, iteration = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(state_file, "rb") as f:
    w = struct.unpack("<64f", f.read(256))
rows = [w[8 * r:8 * r + 8] for r in range(8)]
loss = 0.0
grad = [[0.0] * 8 for _ in range(8)]
for r, row in enumerate(rows):
    for c in range(7):
        x, y = row[c], row[c + 1]
        loss += (1 - x) ** 2 + 100 * (y - x * x) ** 2
        grad[r][c] += -2 * (1 - x) - 400 * x * (y - x * x)
        grad[r][c + 1] += 200 * (y - x * x)
norm = math.sqrt(sum(g * g for row in grad for g in row))
record = [row for row in csv.DictReader(open(csv_file))
          if int(row["iteration"]) == iteration][0]
got_loss = float(record["master_loss"])
got_norm = float(record["master_grad_norm"])
ok = (abs(got_loss - loss) <= 1e-4 * max(abs(loss), 1e-3) and
      abs(got_norm - norm) <= 1e-4 * max(norm, 1e-3))
print("oracle loss %.9g norm %.9g; qopt-run master_loss %.9g "
      "master_grad_norm %.9g: %s" % (loss, norm, got_loss, got_norm,
                                     "agree" if ok else "DISAGREE"))
sys.exit(0 if ok else 1)
