#!/usr/bin/env python3
# ===- qopt-fuzz.py - mutation fuzzer of qopt-opt and qopt-run -----------=== #
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===---------------------------------------------------------------------=== #
"""Mutation fuzzer of qopt's tools (docs/Faults.md).

  qopt-fuzz.py opt --cases N --seed S   mutates the lit inputs and the
      examples (formats, bit-widths, element types, shapes: dynamic,
      zero-sized, rank 0 and 5, unranked, memref; operand counts, attribute
      values, rounding and component names, missing seeds, lines) and runs
      each case through a qopt pipeline or pass with --verify-each.
  qopt-fuzz.py run --cases N --seed S   runs qopt-run on crafted bad
      modules, damaged IDX data sets and option values.

Findings: crashes (a signal), "LLVM ERROR", assertion failures, sanitizer
reports, hangs (timeout), verifier failures after a pass on valid input
(opt), and for qopt-run: a failure without a message, a bad input accepted
with exit 0, and a failed run that leaves an output that looks complete.
Each finding is written to --out as a reproducer. The same --seed gives the
same cases. Exit status 1 when there is a finding that
utils/fuzz/known-issues.txt does not list.
"""

import argparse
import gzip
import hashlib
import multiprocessing
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# ===---------------------------------------------------------------------=== #
# Running a tool and classifying the outcome.
# ===---------------------------------------------------------------------=== #

SANITIZER_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                      "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


def run_tool(argv, stdin_text=None, timeout=30, cwd=None):
    """Runs argv; returns (rc, stdout, stderr, timed_out). rc < 0 is a
    signal. The process group is killed on timeout."""
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE if stdin_text is not None else
            subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd, start_new_session=True)
    except OSError as error:
        return 127, "", str(error), False
    try:
        out, err = proc.communicate(
            stdin_text.encode() if stdin_text is not None else None,
            timeout=timeout)
        return (proc.returncode, out.decode(errors="replace"),
                err.decode(errors="replace"), False)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = proc.communicate()
        return (proc.returncode, out.decode(errors="replace"),
                err.decode(errors="replace"), True)


def classify(rc, stderr, timed_out):
    """The finding a run shows, or None."""
    if timed_out:
        return "hang"
    if any(p in stderr for p in SANITIZER_PATTERNS):
        return "sanitizer"
    if re.search(r"Assertion .* failed", stderr):
        return "assertion"
    if "LLVM ERROR" in stderr:
        return "llvm-error"
    if rc < 0 or "Stack dump:" in stderr or "PLEASE submit a bug report" in stderr:
        return "crash"
    return None


FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ (.*?)\s*\(([^()]*)\+0x[0-9a-f]+\)\s*$")
NOISE = ("PrintStackTrace", "RunSignalHandlers", "SignalHandler", "raise",
         "abort", "__pthread_kill", "report_fatal_error", "grow_pod",
         "__sanitizer", "__asan", "__ubsan", "interceptor", "libc.so")
ASAN_FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (.+?)(?: \(([^()]*)\+0x[0-9a-f]+\))?"
                        r"(?: \(BuildId: [0-9a-f]+\))?$")


def stack_frames(stderr):
    """(symbol, module) of each frame of an LLVM or sanitizer stack dump."""
    frames = []
    for line in stderr.splitlines():
        m = FRAME.match(line) or ASAN_FRAME.match(line)
        if m:
            name = re.sub(r" /\S+:\d+(:\d+)?$", "", m.group(1).strip())
            frames.append((name, m.group(2) or ""))
        elif re.match(r"^\s*#\d+ 0x", line):
            frames.append(("", ""))
    return frames


def crash_site(stderr):
    """The first named frames of a stack dump past the crash machinery."""
    names = [name.split("(")[0] for name, module in stack_frames(stderr)
             if name and not any(n in name or n in module for n in NOISE)]
    return " <- ".join(names[:3])


def in_qopt_code(stderr, tool):
    """Whether a frame below the driver (MlirOptMain, main) is in the tool's
    own binary, which holds all of qopt's code; stacks entirely in
    libMLIR/libLLVM are upstream's."""
    for name, module in stack_frames(stderr):
        if "MlirOptMain" in name or name.startswith("main"):
            break
        if any(n in name for n in NOISE):
            continue
        if os.path.basename(module) == tool or "qopt" in name:
            return True
    return False


def first_line(text, pattern=r"error|ERROR|Assertion|runtime error"):
    for line in text.splitlines():
        if re.search(pattern, line):
            return line.strip()[:300]
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""


# ===---------------------------------------------------------------------=== #
# The corpus: every chunk of every .mlir under test/ and examples/.
# ===---------------------------------------------------------------------=== #


def load_corpus(root):
    paths = []
    for top in ("test", "examples"):
        for directory, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if name.endswith((".mlir", ".mlir.in")):
                    paths.append(os.path.join(directory, name))
    chunks = []
    for path in sorted(paths):
        with open(path, errors="replace") as f:
            text = f.read()
        for chunk in re.split(r"^// -----.*$", text, flags=re.M):
            # Comments carry no meaning (RUN and CHECK lines, expectations).
            lines = [l for l in chunk.splitlines()
                     if not l.lstrip().startswith("//")]
            body = "\n".join(lines).strip()
            if body and ("func." in body or "gpu." in body or
                         "module" in body):
                chunks.append((os.path.relpath(path, root), body))
    return chunks


# ===---------------------------------------------------------------------=== #
# Mutators: each takes (rng, text) and returns the mutated text or None.
# ===---------------------------------------------------------------------=== #

FORMATS = ["bf16", "fp16", "fp32", "tf32", "fp8_e4m3", "fp8_e5m2", "e8m3",
           "e5m2", "e2m0", "e8m23", "e4m3", "e3m4", "e2m1", "e5m10", "e8m7",
           "e8m0", "e1m2", "e9m3", "e0m0", "e8m24", "e8m-1", "e8m99999999999",
           "e4294967298m3", "bogus", "", "e8m3e", "fp8"]
FORMAT_OPTIONS = ["subnormals = flush", "subnormals = keep",
                  "overflow = saturate", "overflow = inf", "overflow = nan",
                  "encoding = fn", "encoding = ieee", "encoding = fnuz",
                  "subnormals = bogus", "overflow =", "rounding = stochastic"]
ELEMENT_TYPES = ["f32", "f16", "bf16", "f64", "f8E4M3FN", "f8E5M2", "f8E4M3",
                 "f8E3M4", "f4E2M1FN", "tf32", "i1", "i8", "i16", "i32",
                 "i64", "index", "complex<f32>", "f80", "ui8", "si32",
                 "vector<4xf32>", "none", "f8E8M0FNU"]
TYPE_TOKEN = re.compile(
    r"\b(f16|bf16|f32|f64|i1|i8|i16|i32|i64|index|f8E4M3FN|f8E5M2|f8E4M3|"
    r"f8E3M4|tf32)\b")
SHAPED = re.compile(r"\b(tensor|memref|vector)<([^<>]*)>")
ROUNDINGS = ["nearest_even", "toward_zero", "stochastic", "nearest_odd",
             "bogus", "stochastic_rounding", ""]
COMPONENTS = ["weight", "grad", "first_moment", "second_moment", "bias",
              "moment", ""]
FLOAT_VALUES = ["0.0", "-0.0", "-1.0", "1.0", "0x7FC00000", "0x7F800000",
                "0xFF800000", "1.0e38", "3.4e38", "1.0e-45", "2.0", "0.5",
                "1.0e-30", "100000.0", "0x00000001", "0xFFFFFFFF"]
INT_VALUES = ["0", "1", "-1", "2", "3", "7", "8", "23", "24", "64", "255",
              "256", "65536", "2147483647", "2147483648", "4294967296",
              "9223372036854775807", "-9223372036854775808"]
DIMS = ["?", "0", "1", "2", "3", "4", "7", "8", "16", "64", "1000000007",
        "4611686018427387904", "9223372036854775807"]


def pick_match(rng, pattern, text):
    matches = list(re.finditer(pattern, text))
    return rng.choice(matches) if matches else None


def replace_span(text, start, end, new):
    return text[:start] + new + text[end:]


def random_format(rng):
    spec = rng.choice(FORMATS)
    for _ in range(rng.choice([0, 0, 1, 2])):
        spec += ", " + rng.choice(FORMAT_OPTIONS)
    return spec


def mut_format(rng, text):
    m = pick_match(rng, r"(?:\bto|\bas|#qopt\.format)\s*<([^<>]*)>", text)
    if not m:
        return None
    return replace_span(text, m.start(1), m.end(1), random_format(rng))


def mut_bits(rng, text):
    m = pick_match(rng, r"\be(\d+)m(\d+)\b", text)
    if not m:
        return None
    group = rng.choice([1, 2])
    value = rng.choice(INT_VALUES + ["0", "1", "2", "3", "8", "9", "23", "24"])
    return replace_span(text, m.start(group), m.end(group), value.lstrip("-"))


def mut_element_type(rng, text):
    matches = list(TYPE_TOKEN.finditer(text))
    if not matches:
        return None
    new = rng.choice(ELEMENT_TYPES)
    if rng.random() < 0.6:
        # Every occurrence of one type: keeps the program consistent.
        old = rng.choice(matches).group(1)
        return re.sub(r"\b%s\b" % re.escape(old), new, text)
    m = rng.choice(matches)
    return replace_span(text, m.start(1), m.end(1), new)


def random_dims(rng):
    kind = rng.random()
    if kind < 0.15:
        return []                                   # rank 0
    if kind < 0.3:
        return [rng.choice(["2", "1", "?", "0"]) for _ in range(5)]  # rank 5
    if kind < 0.4:
        return ["*"]                                # unranked
    rank = rng.choice([1, 1, 2, 2, 3, 4])
    return [rng.choice(DIMS) for _ in range(rank)]


def mut_shape(rng, text):
    m = pick_match(rng, SHAPED, text)
    if not m:
        return None
    kind, inside = m.group(1), m.group(2)
    parts = inside.split("x")
    element = parts[-1] if parts else "f32"
    if "," in inside:          # memref layouts and memory spaces: keep them
        return None
    dims = random_dims(rng)
    if kind == "vector" and dims == ["*"]:
        dims = ["4"]
    new = "%s<%s>" % (kind, "x".join(dims + [element]))
    if rng.random() < 0.7:
        # Every occurrence of that shaped type.
        return text.replace(m.group(0), new)
    return replace_span(text, m.start(), m.end(), new)


def mut_memref(rng, text):
    if "tensor<" in text and rng.random() < 0.7:
        if rng.random() < 0.5:
            return text.replace("tensor<", "memref<")
        m = pick_match(rng, r"\btensor<", text)
        return replace_span(text, m.start(), m.end(), "memref<")
    m = pick_match(rng, r"\bmemref<", text)
    if not m:
        return None
    return replace_span(text, m.start(), m.end(), "tensor<")


def mut_operands(rng, text):
    m = pick_match(rng, r"(qopt\.[a-z_]+|linalg\.[a-z_]+|func\.call @\w+\(|"
                   r"arith\.[a-z]+)\s+((?:%[\w#]+)(?:,\s*%[\w#]+)*)", text)
    if not m:
        return None
    operands = [o.strip() for o in m.group(2).split(",")]
    choice = rng.random()
    if choice < 0.4 and len(operands) > 1:
        del operands[rng.randrange(len(operands))]
    elif choice < 0.7:
        operands.insert(rng.randrange(len(operands) + 1),
                        rng.choice(operands))
    else:
        rng.shuffle(operands)
    return replace_span(text, m.start(2), m.end(2), ", ".join(operands))


def mut_attr_value(rng, text):
    m = pick_match(rng, r"\b(lr|beta1|beta2|epsilon|weight_decay|momentum|"
                   r"ns_steps|nesterov|scale|[a-z_]+)\s*=\s*(-?[0-9][0-9.eE+-]*|"
                   r"0x[0-9A-Fa-f]+)(\s*:\s*(f32|i64|f64|i32))?", text)
    if not m:
        return None
    value = rng.choice(FLOAT_VALUES if rng.random() < 0.6 else INT_VALUES)
    if m.group(3) and rng.random() < 0.2:
        return replace_span(text, m.start(2), m.end(3),
                            value + " : " + rng.choice(["f16", "i64", "f64",
                                                        "index", "i1"]))
    return replace_span(text, m.start(2), m.end(2), value)


def mut_attr_drop(rng, text):
    m = pick_match(rng, r"\{([^{}]*=[^{}]*)\}", text)
    if not m:
        return None
    entries = [e for e in m.group(1).split(",")]
    if not entries:
        return None
    del entries[rng.randrange(len(entries))]
    return replace_span(text, m.start(1), m.end(1), ",".join(entries))


def mut_attr_add(rng, text):
    m = pick_match(rng, r"\{([^{}]*)\}", text)
    extra = rng.choice(["foo = 1 : i64", "qopt.seed", "qopt.step",
                        "lr = 0x7FC00000 : f32", "beta2 = 1.0 : f32",
                        "qopt.storage = #qopt.format<e8m3>",
                        "qopt.init = \"glorot\"", "qopt.data = \"images\"",
                        "qopt.iterations = -1 : i64",
                        "qopt.min_exponent_bits = 99 : i64"])
    if not m:
        return None
    inside = m.group(1).strip()
    return replace_span(text, m.start(1), m.end(1),
                        (inside + ", " if inside else "") + extra)


def mut_rounding(rng, text):
    m = pick_match(rng, r"\b(nearest_even|toward_zero|stochastic)\b", text)
    if not m:
        return None
    return replace_span(text, m.start(), m.end(), rng.choice(ROUNDINGS))


def mut_component(rng, text):
    m = pick_match(rng, r"\b(weight|grad|first_moment|second_moment)\b", text)
    if not m:
        return None
    return replace_span(text, m.start(), m.end(), rng.choice(COMPONENTS))


def mut_seed(rng, text):
    choice = rng.random()
    if choice < 0.5:
        m = pick_match(rng, r"\s+(seed|step)\s+%[\w#]+", text)
        if m:
            return replace_span(text, m.start(), m.end(), "")
    if choice < 0.8:
        m = pick_match(rng, r"\s*\{\s*qopt\.(seed|step)\s*\}", text)
        if m:
            return replace_span(text, m.start(), m.end(), "")
    m = pick_match(rng, r"\bqopt\.(seed|step)\b", text)
    if not m:
        return None
    return replace_span(text, m.start(), m.end(),
                        rng.choice(["qopt.seed", "qopt.step", "qopt.sed"]))


def mut_int(rng, text):
    m = pick_match(rng, r"(?<![\w.%#])\d+(?![\w.])", text)
    if not m:
        return None
    return replace_span(text, m.start(), m.end(), rng.choice(INT_VALUES))


def mut_lines(rng, text):
    lines = text.splitlines()
    if len(lines) < 2:
        return None
    i = rng.randrange(len(lines))
    choice = rng.random()
    if choice < 0.5:
        del lines[i]
    elif choice < 0.75:
        lines.insert(i, lines[rng.randrange(len(lines))])
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def mut_ssa(rng, text):
    names = sorted(set(re.findall(r"%[A-Za-z_][\w]*", text)))
    uses = list(re.finditer(r"(?<=[ ,(\[])%[A-Za-z_][\w]*", text))
    if len(names) < 2 or not uses:
        return None
    m = rng.choice(uses)
    return replace_span(text, m.start(), m.end(), rng.choice(names))


MUTATORS = [
    (mut_format, 4), (mut_bits, 3), (mut_element_type, 2), (mut_shape, 6),
    (mut_memref, 1), (mut_operands, 2), (mut_attr_value, 3),
    (mut_attr_drop, 1), (mut_attr_add, 2), (mut_rounding, 2),
    (mut_component, 2), (mut_seed, 2), (mut_int, 3), (mut_lines, 1),
    (mut_ssa, 1),
]


def mutate(rng, text):
    applied = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        funcs = [f for f, _ in MUTATORS]
        weights = [w for _, w in MUTATORS]
        for _ in range(8):
            mutator = rng.choices(funcs, weights)[0]
            new = mutator(rng, text)
            if new is not None and new != text:
                text = new
                applied.append(mutator.__name__[4:])
                break
    return text, applied


# ===---------------------------------------------------------------------=== #
# qopt-opt: pipelines, batches, findings.
# ===---------------------------------------------------------------------=== #

# Each entry is a list of qopt-opt flags. Passes of qopt-opt that no entry
# names are added as entries of their own (see discover_passes), so a new
# pass is fuzzed without editing this list.
PIPELINES = [
    ["--canonicalize"],
    ["--qopt-insert-quantization"],
    ["--qopt-insert-quantization=rounding=stochastic"],
    ["--qopt-insert-quantization=components=grad,second_moment format=e5m2 "
     "rounding=toward_zero"],
    ["--qopt-insert-quantization", "--qopt-assign-precision=iterations=10000"],
    ["--qopt-insert-quantization=rounding=stochastic",
     "--qopt-assign-precision=iterations=1000 snap=hardware"],
    ["--qopt-assign-precision=iterations=1"],
    ["--qopt-insert-quantization=rounding=stochastic",
     "--qopt-assign-precision=iterations=10000", "--qopt-narrow-storage"],
    ["--qopt-narrow-storage"],
    ["--qopt-narrow-storage=quantized-weights master-format=bf16"],
    ["--convert-qopt-to-linalg"],
    ["--qopt-lower-to-llvm"],
    ["--qopt-lower-to-llvm=deallocate=false"],
    ["--qopt-insert-quantization=rounding=stochastic",
     "--qopt-narrow-storage", "--qopt-lower-to-llvm"],
    ["--qopt-lower-to-gpu"],
    ["--qopt-lower-to-gpu=block-size=32"],
    ["--qopt-lower-to-nvvm"],
    ["--qopt-lower-to-gpu-emulation"],
    ["--qopt-insert-quantization=rounding=stochastic",
     "--qopt-lower-to-gpu-emulation"],
    ["--qopt-gpu-map-matmul"],
    ["--qopt-gpu-map-matmul=tile=32 thread-tile=2"],
    ["--qopt-gpu-launch-to-loops"],
    ["--qopt-gpu-host-to-kernels"],
    ["--qopt-gpu-device-buffers"],
    ["--qopt-gpu-contiguous-threads"],
    ["--qopt-gpu-precise-sqrt"],
]


def discover_passes(qopt_opt):
    """Every qopt pass and pipeline qopt-opt registers."""
    rc, out, _, _ = run_tool([qopt_opt, "--help"], timeout=60)
    names = set(re.findall(r"^\s+--((?:qopt|convert-qopt)[\w-]*)\s", out,
                           flags=re.M))
    return sorted(names)


def pipelines_for(qopt_opt):
    pipelines = [list(p) for p in PIPELINES]
    named = {flag.split("=")[0][2:] for p in pipelines for flag in p}
    for name in discover_passes(qopt_opt):
        if name not in named:
            pipelines.append(["--" + name])
    return pipelines


def run_batch(qopt_opt, flags, texts, timeout):
    """Runs the chunks through qopt-opt --split-input-file; returns the
    per-chunk success (a non-empty output segment), rc, stderr, timed_out."""
    source = "\n// -----\n".join(texts) + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(source)
        path = f.name
    try:
        rc, out, err, timed_out = run_tool(
            [qopt_opt, path, "--split-input-file",
             "-mlir-print-op-on-diagnostic=false"] + flags,
            timeout=timeout)
    finally:
        os.unlink(path)
    segments = out.split("// -----\n")
    ok = [i < len(segments) and segments[i].strip() != ""
          for i in range(len(texts))]
    return ok, rc, err, timed_out


class Finding:
    def __init__(self, kind, flags, case, detail, stderr="", tool=""):
        self.kind, self.flags, self.case = kind, flags, case
        detail = re.sub(r"\S*/tmp\w*\.mlir", "CASE.mlir", detail)
        site = crash_site(stderr) if stderr else ""
        if kind == "crash" and not site and not detail.strip():
            detail = "no stack trace (killed by a signal: out of memory?)"
        if site and kind != "verifier":
            detail = (detail + " | at " if detail and not detail.startswith(
                "PLEASE") else "at ") + site
        self.detail = detail
        # Only a crash of the parser or a verifier, on the input, before any
        # qopt pass ran, with no frame of qopt's code, is upstream's alone.
        # In the sanitized build the same crash is an AddressSanitizer
        # report (a null dereference in upstream's DenseArrayAttr parser on
        # `array<index: ...>`, in linalg.broadcast's verifier).
        self.upstream = (kind in ("crash", "llvm-error", "assertion",
                                  "sanitizer") and
                         not flags and stderr != "" and
                         not in_qopt_code(stderr, tool))


def opt_work(unit):
    """One batch of cases through one pipeline: returns (statuses,
    findings). A batch that crashes or hangs is run again case by case."""
    qopt_opt, flags, cases, timeout = unit
    findings = []
    texts = [c["text"] for c in cases]
    ok, rc, err, timed_out = run_batch(qopt_opt, flags + ["--verify-each"],
                                       texts, timeout + 2 * len(texts))
    if classify(rc, err, timed_out) is not None:
        ok = []
        for case in cases:
            one, rc1, err1, to1 = run_batch(qopt_opt, flags + ["--verify-each"],
                                            [case["text"]], timeout)
            kind = classify(rc1, err1, to1)
            if kind:
                findings.append(Finding(kind, flags, case, first_line(err1),
                                        err1, "qopt-opt"))
                one = [True]  # counted; not a verifier question
            ok.append(one[0])
    # A valid input that fails with --verify-each but passes without it
    # made some pass emit IR that does not verify.
    failed = [c for c, good in zip(cases, ok) if not good]
    if failed and flags:
        ok2, rc2, err2, to2 = run_batch(qopt_opt, flags + ["--verify-each=false"],
                                        [c["text"] for c in failed],
                                        timeout + 2 * len(failed))
        if classify(rc2, err2, to2) is not None:
            ok2 = []
            for case in failed:
                one, rc3, err3, to3 = run_batch(
                    qopt_opt, flags + ["--verify-each=false"], [case["text"]],
                    timeout)
                # Without the verifier, a later pass may crash on the
                # invalid IR: that too is a verifier failure first.
                ok2.append(one[0] or classify(rc3, err3, to3) is not None)
        for case, passed in zip(failed, ok2):
            if passed:
                _, _, err4, _ = run_batch(qopt_opt, flags + ["--verify-each"],
                                          [case["text"]], timeout)
                findings.append(Finding("verifier", flags, case,
                                        first_line(err4)))
    return len(cases), findings


def validity_work(unit):
    """Parses and verifies a batch of cases (no pass); returns the cases
    that are valid input and the findings of the parser and verifiers."""
    qopt_opt, cases, timeout = unit
    findings = []
    ok, rc, err, timed_out = run_batch(qopt_opt, [], [c["text"] for c in cases],
                                       timeout + len(cases))
    if classify(rc, err, timed_out) is not None:
        ok = []
        for case in cases:
            one, rc1, err1, to1 = run_batch(qopt_opt, [], [case["text"]],
                                            timeout)
            kind = classify(rc1, err1, to1)
            if kind:
                findings.append(Finding(kind, [], case, first_line(err1),
                                        err1, "qopt-opt"))
            ok.append(one[0] and not kind)
    return [c for c, good in zip(cases, ok) if good], findings


def load_known(path):
    """Known findings: `kind<TAB>regex` lines (# comments), matched against
    the finding's kind and its first error line or its flags."""
    known = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                kind, _, pattern = line.partition("\t")
                known.append((kind.strip(), re.compile(pattern.strip(), re.S)))
    return known


def is_known(known, finding):
    subject = " ".join([finding.detail] + finding.flags +
                       [finding.case.get("text", "")])
    return any(kind == finding.kind and pattern.search(subject)
               for kind, pattern in known)


def write_findings(out_dir, tool, findings, known, command_of):
    """Writes one reproducer per finding; returns the unknown ones."""
    unknown = []
    signatures = {}
    for finding in findings:
        flags = [f for f in finding.flags if not f.startswith("--data-dir")]
        signature = (finding.kind, " ".join(flags),
                     re.sub(r"[0-9]+", "N", finding.detail))
        signatures.setdefault(signature, []).append(finding)
    os.makedirs(out_dir, exist_ok=True)
    for index, (signature, group) in enumerate(sorted(signatures.items())):
        finding = group[0]
        is_new = not finding.upstream and not is_known(known, finding)
        status = ("upstream" if finding.upstream else
                  "new" if is_new else "known")
        if is_new:
            unknown.extend(group)
        name = "%s-%s-%03d" % (tool, finding.kind, index)
        command = command_of(finding)
        with open(os.path.join(out_dir, name + ".txt"), "w") as f:
            f.write("kind: %s (%s)\n" % (finding.kind, status))
            f.write("cases: %d, first: #%d from %s, mutations %s\n" % (
                len(group), finding.case["id"], finding.case["source"],
                ",".join(finding.case.get("mutations", []))))
            f.write("command: %s\n" % command)
            f.write("message: %s\n" % finding.detail)
        if "text" in finding.case:
            with open(os.path.join(out_dir, name + ".mlir"), "w") as f:
                f.write(finding.case["text"] + "\n")
        print("  %-10s %-8s x%-4d %s\n             %s" % (
            finding.kind, status, len(group), command, finding.detail))
    return unknown


def fuzz_opt(args):
    qopt_opt = args.qopt_opt
    rng = random.Random(args.seed)
    corpus = load_corpus(args.root)
    pipelines = pipelines_for(qopt_opt)
    started = time.time()
    cases = []
    for i in range(args.cases):
        source, text = corpus[rng.randrange(len(corpus))]
        text, mutations = mutate(rng, text)
        cases.append({"id": i, "source": source, "text": text,
                      "mutations": mutations,
                      "pipeline": i % len(pipelines)})
    pool = multiprocessing.Pool(args.jobs)
    findings = []
    # 1. Parse and verify every case.
    units = [(qopt_opt, cases[i:i + args.batch], args.timeout)
             for i in range(0, len(cases), args.batch)]
    valid = []
    for good, found in pool.imap_unordered(validity_work, units):
        valid.extend(good)
        findings.extend(found)
    valid.sort(key=lambda c: c["id"])
    # 2. Each valid case through --pipelines-per-case pipelines, in turn
    # (stride 7, coprime to the count, so that neighbours differ).
    by_pipeline = {}
    per_case = args.pipelines_per_case or len(pipelines)
    for case in valid:
        for k in range(min(per_case, len(pipelines))):
            p = (case["pipeline"] + k * 7) % len(pipelines)
            by_pipeline.setdefault(p, []).append(case)
    units = []
    for p, group in sorted(by_pipeline.items()):
        for i in range(0, len(group), args.batch):
            units.append((qopt_opt, pipelines[p], group[i:i + args.batch],
                          args.timeout))
    rng.shuffle(units)  # mix slow and fast pipelines across workers
    runs = 0
    for count, found in pool.imap_unordered(opt_work, units):
        runs += count
        findings.extend(found)
    pool.close()
    pool.join()
    elapsed = time.time() - started
    print("qopt-fuzz opt: seed %d, %d cases (%d valid input), %d pipeline "
          "runs over %d pipelines, %d jobs, %.0f s" % (
              args.seed, len(cases), len(valid), runs, len(pipelines),
              args.jobs, elapsed))
    return report(args, "opt", findings, lambda f: "qopt-opt --verify-each "
                  + " ".join(f.flags) + " CASE.mlir")


def report(args, tool, findings, command_of):
    kinds = {}
    for finding in findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    print("findings: %d (%s)" % (len(findings), ", ".join(
        "%s %d" % item for item in sorted(kinds.items())) or "none"))
    known = load_known(os.path.join(args.root, "utils", "fuzz",
                                    "known-issues.txt"))
    unknown = write_findings(args.out, tool, findings, known, command_of)
    print("new findings: %d (reproducers in %s); upstream (parser and "
          "verifiers of MLIR on the input): %d" % (
              len(unknown), args.out, sum(f.upstream for f in findings)))
    return 1 if unknown else 0


# ===---------------------------------------------------------------------=== #
# qopt-run: crafted modules, IDX data sets and options.
# ===---------------------------------------------------------------------=== #

TINY_CLASSIFIER = os.path.join("test", "Tools", "qopt-run", "Inputs",
                               "tiny-classifier.mlir")
RUN_MODULES = [os.path.join("examples", "rosenbrock-matrix-adam.mlir"),
               os.path.join("examples", "rosenbrock-matrix-muon.mlir"),
               TINY_CLASSIFIER,
               os.path.join("test", "Tools", "qopt-run", "Inputs",
                            "narrow-state.mlir")]

# Option values: (value, certainly refused). Valid ones check that a good
# value still runs.
RUN_OPTIONS = {
    "iterations": [("0", True), ("-1", True), ("2", False), ("x", True),
                   ("99999999999999999999", True)],
    "man-bits": [("-1", True), ("24", True), ("0", False), ("23", False),
                 ("7", False), ("2147483648", True)],
    "man-bits-w": [("-2", True), ("24", True), ("-1", False), ("3", False)],
    "man-bits-g": [("-5", True), ("99", True), ("1", False)],
    "man-bits-m": [("-3", True), ("30", True), ("0", False)],
    "man-bits-v": [("-4", True), ("25", True), ("2", False)],
    "exp-bits": [("0", True), ("1", True), ("9", True), ("2", False),
                 ("5", False), ("-8", True)],
    "rounding": [("up", True), ("", True), ("nearest_even", False),
                 ("toward_zero", False)],
    "quantize": [("", True), ("x", True), ("w,,v", True), ("none", False),
                 ("w,g", False), ("second_moment", False)],
    "lr": [("-1", True), ("nan", True), ("inf", True), ("1e300", True),
           ("1e-60", True), ("0.001", False), ("-0", False)],
    "beta2": [("-1", True), ("nan", True), ("1", True), ("2", True),
              ("0.999999999", True), ("0.999", False)],
    "seed": [("-1", True), ("4294967296", True), ("0", False),
             ("4294967295", False)],
    "eval-every": [("-1", True), ("1", False)],
    "eval-examples": [("0", True), ("-5", True), ("8", False)],
    "save-every": [("-1", True)],
    "storage": [("f16", True), ("f32", False), ("narrow", False)],
    "storage-options": [("bogus", True), ("containers=second_moment=f16",
                                          False)],
    "assign-options": [("snap=bogus", True)],
}


def write_idx(directory, rng):
    """A tiny IDX data set (16 images of 4x4, 10 classes), damaged in one
    random way; returns (description, certainly refused)."""
    count, rows, cols = 16, 4, 4
    images = bytearray(struct.pack(">IIII", 0x803, count, rows, cols) + bytes(
        (i * 7) % 256 for i in range(count * rows * cols)))
    labels = bytearray(struct.pack(">II", 0x801, count) +
                       bytes(i % 10 for i in range(count)))
    which = rng.choice(["images", "labels"])
    target = images if which == "images" else labels
    header = 16 if which == "images" else 8
    kind = rng.choice(["truncate", "extend", "magic", "dims", "huge-dims",
                       "labels-range", "flip-pixel", "gzip-corrupt",
                       "gzip-truncate", "gzip-ok", "empty", "zero-dim"])
    refused = True
    if kind == "truncate":
        del target[rng.randrange(len(target)):]
    elif kind == "extend":
        target.extend(bytes(rng.randrange(1, 100)))
    elif kind == "magic":
        struct.pack_into(">I", target, 0, rng.choice(
            [0x802, 0x804, 0x801 if which == "images" else 0x803, 0,
             0xFFFFFFFF, 0x08030000]))
    elif kind == "dims":
        offset = rng.randrange(1, header // 4) * 4
        old = struct.unpack_from(">I", target, offset)[0]
        new = rng.choice([v for v in (0, 1, 3, 5, 15, 17, 255, 65536)
                          if v != old])
        struct.pack_into(">I", target, offset, new)
    elif kind == "huge-dims":
        offset = rng.randrange(1, header // 4) * 4
        struct.pack_into(">I", target, offset, rng.choice(
            [0xFFFFFFFF, 0x80000000, 0x10000, 0x7FFFFFFF]))
    elif kind == "labels-range":
        labels[8 + rng.randrange(count)] = rng.choice([10, 11, 200, 255])
    elif kind == "flip-pixel":
        images[16 + rng.randrange(count * rows * cols)] ^= 0xFF
        refused = False
    elif kind == "empty":
        del target[:]
    elif kind == "zero-dim":
        struct.pack_into(">I", target, rng.randrange(1, header // 4) * 4, 0)
    compress = kind.startswith("gzip")
    for prefix in ("train", "t10k"):
        for name, data in (("images-idx3-ubyte", images),
                           ("labels-idx1-ubyte", labels)):
            blob = bytes(data)
            path = os.path.join(directory, "%s-%s" % (prefix, name))
            if compress:
                blob = gzip.compress(blob, mtime=0)
                path += ".gz"
                if name.startswith(which) and kind == "gzip-corrupt":
                    i = rng.randrange(10, len(blob) - 8)
                    blob = blob[:i] + bytes([blob[i] ^ 0x55]) + blob[i + 1:]
                elif name.startswith(which) and kind == "gzip-truncate":
                    blob = blob[:rng.randrange(10, len(blob) - 1)]
            with open(path, "wb") as f:
                f.write(blob)
    if kind == "gzip-ok":
        refused = False
    if kind == "gzip-corrupt":
        refused = None   # a flipped bit may land where gzip cannot see it
    return "%s %s" % (kind, which), refused


def mutate_module(rng, text):
    """Bad contracts: markers, qopt.init, data attributes, signatures."""
    choice = rng.random()
    if choice < 0.5:
        return mutate(rng, text)
    edits = [
        (r'qopt\.init = "glorot"', ['qopt.init = "bogus"', "qopt.init = 1",
                                    "qopt.init = dense<1> : tensor<2xi32>",
                                    "qopt.init = dense<0.0> : tensor<3xf32>",
                                    'qopt.init = ["glorot"]']),
        (r"qopt\.init = dense<[^>]*> : tensor<[^>]*>",
         ["qopt.init = dense<1> : tensor<8x8xi32>",
          "qopt.init = dense<0.0> : tensor<64xf32>",
          "qopt.init = dense<0x7FC00000> : tensor<8x8xf32>",
          'qopt.init = "ones"', 'qopt.init = "zeros"']),
        (r'qopt\.data = "(images|labels)"',
         ['qopt.data = "pixels"', "qopt.data = 1", 'qopt.data = "labels"',
          'qopt.data = "images"', "qopt.seed"]),
        (r"\{qopt\.step\}", ["{qopt.seed}", "{qopt.step = 1}", "",
                             "{qopt.step, qopt.seed}", "{qopt.stp}"]),
        (r"func\.func @train_step", ["func.func private @train_step_x",
                                     "func.func @train_step_renamed",
                                     "func.func @evaluate"]),
        (r"func\.func @evaluate", ["func.func @train_step",
                                   "func.func private @evaluate_x"]),
        (r"\) -> f32 \{", [") -> (f32, f32) {", ") -> i64 {"]),
    ]
    pattern, choices = rng.choice(edits)
    m = pick_match(rng, pattern, text)
    if not m:
        return mutate(rng, text)
    return replace_span(text, m.start(), m.end(), rng.choice(choices)), [
        "contract"]


def run_work(unit):
    """One qopt-run case; returns a list of findings."""
    qopt_run, case, timeout = unit
    findings = []
    with tempfile.TemporaryDirectory() as directory:
        module = os.path.join(directory, "module.mlir")
        with open(module, "w") as f:
            f.write(case["text"])
        argv = [qopt_run, module, "--csv=" + os.path.join(directory, "run.csv"),
                "--final-state=" + os.path.join(directory, "run.bin")]
        argv += case["options"]
        if case.get("idx"):
            data = os.path.join(directory, "data")
            os.makedirs(data)
            description, refused = write_idx(data, random.Random(case["idx"]))
            case["mutations"] = [description]
            case["refused"] = refused
            argv.append("--data-dir=" + data)
        rc, out, err, timed_out = run_tool(argv, timeout=timeout,
                                           cwd=directory)
        kind = classify(rc, err, timed_out)
        csv = os.path.join(directory, "run.csv")
        if kind:
            findings.append(Finding(kind, case["options"], case,
                                    first_line(err), err, "qopt-run"))
        elif rc != 0:
            if not re.search(r"qopt-run|error:", err):
                findings.append(Finding("no-message", case["options"], case,
                                        first_line(err, r".")))
            if os.path.exists(csv):
                findings.append(Finding("partial-output", case["options"],
                                        case, "a CSV after a failed run"))
        elif case.get("refused"):
            findings.append(Finding("accepted", case["options"], case,
                                    "exit 0: " + first_line(out, r"final")))
        elif not os.path.exists(csv):
            findings.append(Finding("partial-output", case["options"], case,
                                    "no CSV after a finished run"))
    return findings


def fuzz_run(args):
    rng = random.Random(args.seed)
    modules = {}
    for path in RUN_MODULES:
        with open(os.path.join(args.root, path)) as f:
            modules[path] = f.read()
    started = time.time()
    cases = []
    for i in range(args.cases):
        kind = rng.choice(["option", "option", "module", "module", "idx"])
        case = {"id": i, "options": ["--iterations=2"], "mutations": []}
        if kind == "option":
            source = rng.choice(RUN_MODULES[:3])
            text = modules[source]
            refused = False
            for name in rng.sample(sorted(RUN_OPTIONS),
                                   rng.choice([1, 1, 2])):
                value, bad = rng.choice(RUN_OPTIONS[name])
                if name == "iterations":
                    case["options"].remove("--iterations=2")
                case["options"].append("--%s=%s" % (name, value))
                refused = refused or bad
                case["mutations"].append(name)
            case["refused"] = refused
        elif kind == "module":
            source = rng.choice(RUN_MODULES)
            text, case["mutations"] = mutate_module(rng, modules[source])
        else:
            source = TINY_CLASSIFIER
            text = modules[source]
            case["idx"] = rng.randrange(1 << 30)
            case["options"] += ["--quantize=none", "--eval-examples=8"]
        if source == TINY_CLASSIFIER and not case.get("idx"):
            # A sound data set for the classifier.
            case["idx_good"] = True
        case["source"] = source
        case["text"] = text
        cases.append(case)
    good_data = tempfile.mkdtemp(prefix="qopt-fuzz-idx-")
    subprocess.run([sys.executable, os.path.join(
        args.root, "test", "Tools", "qopt-run", "Inputs", "make-idx.py"),
        good_data, "good"], check=True)
    for case in cases:
        if case.pop("idx_good", False):
            case["options"].append("--data-dir=" + good_data)
    pool = multiprocessing.Pool(args.jobs)
    findings = []
    for found in pool.imap_unordered(run_work, [(args.qopt_run, c, args.timeout)
                                                for c in cases]):
        findings.extend(found)
    pool.close()
    pool.join()
    shutil.rmtree(good_data, ignore_errors=True)
    print("qopt-fuzz run: seed %d, %d cases, %d jobs, %.0f s" % (
        args.seed, len(cases), args.jobs, time.time() - started))
    return report(args, "run", findings,
                  lambda f: "qopt-run CASE.mlir " + " ".join(f.flags))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tool", choices=["opt", "run"])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds a case may take (a hang after)")
    parser.add_argument("--batch", type=int, default=25,
                        help="cases per qopt-opt process (--split-input-file)")
    parser.add_argument("--pipelines-per-case", type=int, default=3,
                        help="pipelines each valid case runs through, taken "
                             "in turn (0: every pipeline)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--qopt-opt")
    parser.add_argument("--qopt-run")
    parser.add_argument("--root", default=ROOT)
    parser.add_argument("--out", default="qopt-fuzz-findings")
    args = parser.parse_args()
    args.qopt_opt = args.qopt_opt or os.path.join(args.build, "bin", "qopt-opt")
    args.qopt_run = args.qopt_run or os.path.join(args.build, "bin", "qopt-run")
    sys.exit(fuzz_opt(args) if args.tool == "opt" else fuzz_run(args))


if __name__ == "__main__":
    main()
