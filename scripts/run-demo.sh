#!/usr/bin/env bash
# The main job: compiles and runs the demos in examples/ with the qopt built
# in $1 (default: build/).
set -euo pipefail
QOPT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QOPT_BUILD="${1:-$QOPT_ROOT/build}"
LLVM_BIN=/usr/lib/llvm-22/bin
LLVM_LIB=/usr/lib/llvm-22/lib

run_mlir() {
  "$QOPT_BUILD/bin/qopt-opt" "$@" --qopt-lower-to-llvm |
    "$LLVM_BIN/mlir-runner" -e main -entry-point-result=void \
      -shared-libs="$LLVM_LIB/libmlir_runner_utils.so" \
      -shared-libs="$LLVM_LIB/libmlir_c_runner_utils.so" |
    grep -v '^Unranked Memref'
}

echo "== qopt.quantize through the compiled CPU pipeline"
echo "   rows: input, bf16, fp16, fp8_e4m3, fp8_e4m3 saturating toward zero,"
echo "         fp8_e5m2 stochastic (seed 42, step 1), fp8_e5m2 flushing subnormals"
run_mlir "$QOPT_ROOT/examples/quantize-demo.mlir"
