#!/usr/bin/env bash
# The main job: what the compiler does to a training step, then training
# through it, with the qopt built in $1 (default: build/).
set -euo pipefail
QOPT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QOPT_BUILD="${1:-$QOPT_ROOT/build}"
LLVM_BIN=/usr/lib/llvm-22/bin
LLVM_LIB=/usr/lib/llvm-22/lib

echo "== 1. qopt.quantize through the compiled CPU pipeline"
echo "   rows: input, bf16, fp16, fp8_e4m3, fp8_e4m3 saturating toward zero,"
echo "         fp8_e5m2 stochastic (seed 42, step 1), fp8_e5m2 flushing subnormals"
"$QOPT_BUILD/bin/qopt-opt" "$QOPT_ROOT/examples/quantize-demo.mlir" \
    --qopt-lower-to-llvm |
  "$LLVM_BIN/mlir-runner" -e main -entry-point-result=void \
    -shared-libs="$LLVM_LIB/libmlir_runner_utils.so" \
    -shared-libs="$LLVM_LIB/libmlir_c_runner_utils.so" |
  grep -v '^Unranked Memref'

echo
echo "== 2. The theorem's precision for an Adam step planned for T = 10^4"
echo "   qopt-opt examples/rosenbrock-matrix-adam.mlir --qopt-insert-quantization \\"
echo "     --assign-precision=\"iterations=10000 snap=hardware report-file=-\""
"$QOPT_BUILD/bin/qopt-opt" "$QOPT_ROOT/examples/rosenbrock-matrix-adam.mlir" \
    --qopt-insert-quantization \
    --assign-precision="iterations=10000 snap=hardware report-file=-" \
    -o /dev/null 2>/dev/null

echo
echo "== 3. Training through the compiler: f32, the theorem's formats, starved"
python3 "$QOPT_ROOT/scripts/demo.py" --build "$QOPT_BUILD"
