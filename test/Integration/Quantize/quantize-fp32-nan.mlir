// RUN: qopt-opt %s -canonicalize --convert-elementwise-to-linalg --qopt-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils \
// RUN: | FileCheck %s

/// qopt.quantize to fp32 gives a quiet NaN of the input's sign for every
/// NaN, signalling ones included (0x7F800001, 0xFF800001), and leaves
/// every other value (a quiet NaN with a payload is canonicalized too).
/// Canonicalization must not fold it away.

func.func private @printMemrefI32(tensor<*xi32>)

func.func @main() {
  %x = arith.constant dense<[0x7F800001, 0xFF800001, 0x7FC00001, 0x3F800000, 0x7F800000, 0x00000001]> : tensor<6xf32>
  %q = qopt.quantize %x to <fp32> : tensor<6xf32>
  %bits = arith.bitcast %q : tensor<6xf32> to tensor<6xi32>
  %u = tensor.cast %bits : tensor<6xi32> to tensor<*xi32>
  // CHECK: [2143289344,  -4194304,  2143289344,  1065353216,  2139095040,  1]
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
