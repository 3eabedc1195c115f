#!/usr/bin/env python3
# Extracts the PTX of every gpu.binary object of an MLIR file (produced by
# gpu-module-to-binary with format=isa) and writes it to the output file as one
# PTX module: the first object whole, the others without their
# .version/.target/.address_size header (a module declares them once). Used by the GPU lit tests to feed ptxas, and by the
# GPU host runtime tests. With --ptxas, each object is also written alone and
# assembled (objects are separate modules at run time).
import re
import subprocess
import sys


def unescape(text):
    """Decodes MLIR string-attribute escapes (\\XX hex, \\n, \\", \\\\)."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1]
            if nxt in "0123456789abcdefABCDEF":
                out.append(int(text[i + 1:i + 3], 16))
                i += 3
                continue
            out.extend({"n": b"\n", "t": b"\t", '"': b'"', "\\": b"\\"}[nxt])
            i += 2
            continue
        out.extend(c.encode())
        i += 1
    return bytes(out)


def main():
    args = sys.argv[1:]
    ptxas = arch = None
    if len(args) == 6 and args[2] == "--ptxas" and args[4] == "--arch":
        ptxas, arch = args[3], args[5]
        args = args[:2]
    if len(args) != 2:
        sys.exit("usage: extract-ptx.py INPUT.mlir OUTPUT.ptx "
                 "[--ptxas PTXAS --arch ARCH]")
    source = open(args[0], encoding="utf-8").read()
    blobs = re.findall(r'assembly = "((?:[^"\\]|\\.)*)"', source)
    if not blobs:
        sys.exit("extract-ptx.py: no PTX (assembly = \"...\") found; was the "
                 "module serialised with format=isa?")
    header = re.compile(rb"^\s*\.(version|target|address_size)\b")
    with open(args[1], "wb") as out:
        for index, blob in enumerate(blobs):
            for line in unescape(blob).splitlines(keepends=True):
                if index and header.match(line):
                    continue
                out.write(line)
            out.write(b"\n")
    if ptxas:
        # Each object is a module of its own at run time (kernels of
        # different modules may share a name), so each is assembled alone.
        for index, blob in enumerate(blobs):
            path = "%s.%d.ptx" % (args[1], index)
            with open(path, "wb") as out:
                out.write(unescape(blob))
            subprocess.run([ptxas, "-arch=" + arch, path, "-o", path + ".cubin"],
                           check=True)
        print("ptxas: %d PTX modules assembled for %s" % (len(blobs), arch))


if __name__ == "__main__":
    main()
