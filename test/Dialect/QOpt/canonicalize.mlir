// RUN: qopt-opt %s -canonicalize -split-input-file | FileCheck %s

/// Quantizing to f32 itself is not the identity: it quiets signalling NaN
/// (test/Integration/Quantize/quantize-fp32-nan.mlir runs it).
// CHECK-LABEL: func.func @negative_fp32_quiets_nan
// CHECK: %[[Q:.*]] = qopt.quantize %{{.*}} to <fp32>
// CHECK: return %[[Q]]
func.func @negative_fp32_quiets_nan(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.quantize %x to <fp32> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

/// Values already in the format come back unchanged, whatever the rounding.
// CHECK-LABEL: func.func @fold_requantize_same_format
// CHECK: %[[Q:.*]] = qopt.quantize %{{.*}} to <bf16> rounding <toward_zero>
// CHECK-NOT: qopt.quantize
// CHECK: return %[[Q]]
func.func @fold_requantize_same_format(%x: tensor<4xf32>, %s: i64, %t: i64) -> tensor<4xf32> {
  %0 = qopt.quantize %x to <bf16> rounding <toward_zero> : tensor<4xf32>
  %1 = qopt.quantize %0 to <bf16> rounding <stochastic> seed %s step %t : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

/// f32 with a saturating overflow maps infinities to the largest finite value:
/// not the identity.
// CHECK-LABEL: func.func @negative_fp32_saturate
// CHECK: qopt.quantize %{{.*}} to <fp32, overflow = saturate>
func.func @negative_fp32_saturate(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.quantize %x to <fp32, overflow = saturate> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

/// A narrower format after a wider one still rounds.
// CHECK-LABEL: func.func @negative_requantize_other_format
// CHECK: qopt.quantize %{{.*}} to <fp16>
// CHECK: qopt.quantize %{{.*}} to <fp8_e5m2>
func.func @negative_requantize_other_format(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.quantize %x to <fp16> : tensor<4xf32>
  %1 = qopt.quantize %0 to <fp8_e5m2> : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

/// Unused quantizations are pure and disappear.
// CHECK-LABEL: func.func @dead_quantize
// CHECK-NOT: qopt.quantize
func.func @dead_quantize(%x: tensor<4xf32>) {
  %0 = qopt.quantize %x to <fp16> : tensor<4xf32>
  return
}
