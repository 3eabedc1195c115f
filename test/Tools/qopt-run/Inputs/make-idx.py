# Writes a tiny IDX data set (16 images of 4x4 pixels, labels 0..9) into a
# directory, well formed or broken in one way, for the qopt-run tests.
#
#   good               plain files
#   gzip               gzip-compressed files
#   bad-magic          image files with the magic of another element type
#   bad-label-magic    label files with a wrong magic
#   truncated          image files cut in the pixels
#   too-long           image files with bytes after the pixels
#   short-header       image files shorter than their header
#   count-mismatch     fewer labels than images
#   labels-12          labels up to 11 (a model of 10 classes overflows)
#   test-5x5           test images of 5x5 pixels (larger than the model's)
#   test-3x3           test images of 3x3 pixels (smaller than the model's)
#   huge-dims          dimensions whose product overflows 64 bits
#   zero-dims          an image file of 0 rows
#   corrupt-gzip       gzip files with a damaged deflate stream
#   truncated-gzip     gzip files cut in the middle
#   gzip-crc           gzip files with a wrong CRC
#   gzip-bomb          a small gzip file that inflates far past its header
import gzip
import struct
import sys

directory, kind = sys.argv[1], sys.argv[2]


def image_file(count, rows, cols, magic=0x00000803, cut=None, extra=b""):
    pixels = bytes((i * 7) % 256 for i in range(count * rows * cols))
    if cut is not None:
        pixels = pixels[:cut]
    return struct.pack(">IIII", magic, count, rows, cols) + pixels + extra


def label_file(count, top=10, magic=0x00000801):
    return struct.pack(">II", magic, count) + bytes(
        i % top for i in range(count))


for prefix in ("train", "t10k"):
    images = image_file(16, 4, 4)
    labels = label_file(16)
    compress = False
    if kind == "gzip":
        compress = True
    elif kind == "bad-magic":
        images = image_file(16, 4, 4, magic=0x00000802)
    elif kind == "bad-label-magic":
        labels = label_file(16, magic=0x00000803)
    elif kind == "truncated":
        images = image_file(16, 4, 4, cut=100)
    elif kind == "too-long":
        images = image_file(16, 4, 4, extra=b"\0" * 7)
    elif kind == "short-header":
        images = images[:10]
    elif kind == "count-mismatch":
        labels = label_file(15)
    elif kind == "labels-12":
        labels = label_file(16, top=12)
    elif kind == "test-5x5" and prefix == "t10k":
        images = image_file(16, 5, 5)
    elif kind == "test-3x3" and prefix == "t10k":
        images = image_file(16, 3, 3)
    elif kind == "huge-dims":
        images = struct.pack(">IIII", 0x803, 0xFFFFFFFF, 0xFFFFFFFF,
                             0xFFFFFFFF) + images[16:]
    elif kind == "zero-dims":
        images = struct.pack(">IIII", 0x803, 16, 0, 4)
    elif kind in ("corrupt-gzip", "truncated-gzip", "gzip-crc"):
        compress = True
    elif kind == "gzip-bomb":
        compress = True
        images = struct.pack(">IIII", 0x803, 16, 4, 4) + b"\0" * (64 << 20)
    elif kind != "good" and not kind.startswith("test-"):
        sys.exit(f"make-idx.py: unknown kind {kind}")
    for name, data in ((f"{prefix}-images-idx3-ubyte", images),
                       (f"{prefix}-labels-idx1-ubyte", labels)):
        if compress:
            data = gzip.compress(data, mtime=0)
            if name.endswith("images-idx3-ubyte"):
                if kind == "corrupt-gzip":
                    data = data[:12] + bytes(b ^ 0x5A for b in data[12:40]) + \
                        data[40:]
                elif kind == "truncated-gzip":
                    data = data[:len(data) // 2]
                elif kind == "gzip-crc":
                    data = data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + \
                        data[-4:]
            name += ".gz"
        with open(f"{directory}/{name}", "wb") as f:
            f.write(data)
