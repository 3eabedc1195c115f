# Writes a tiny IDX data set (16 images of 4x4 pixels, labels 0..9) into a
# directory, well formed or broken in one way, for the qopt-run tests.
import struct
import sys

directory, kind = sys.argv[1], sys.argv[2]
count, rows, cols = 16, 4, 4
pixels = bytes((i * 7) % 256 for i in range(count * rows * cols))
labels = bytes(i % 10 for i in range(count))
magic = 0x00000803 if kind != "bad-magic" else 0x00000802
if kind == "truncated":
    pixels = pixels[:100]
for prefix in ("train", "t10k"):
    with open(f"{directory}/{prefix}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", magic, count, rows, cols) + pixels)
    with open(f"{directory}/{prefix}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x00000801, count) + labels)
