// RUN: qopt-opt %s --convert-qopt-to-linalg -split-input-file | FileCheck %s

/// qopt.quantize becomes one elementwise linalg.generic whose body rounds the
/// f32 bit pattern with integer arithmetic.

// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @quantize_fp16_nearest
// CHECK-SAME: (%[[X:[^:]*]]: tensor<8xf32>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<8xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<8xf32>) outs(%[[EMPTY]] : tensor<8xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: arith.bitcast %[[IN]] : f32 to i32
/// 23 - 10 mantissa bits are dropped in the normal range of fp16.
// CHECK-DAG: arith.constant 13 : i32
/// The f32 pattern of fp16's largest finite value, 65504.
// CHECK-DAG: arith.constant 1199562752 : i32
// CHECK: arith.cmpi ugt
// CHECK: %[[OUT:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: linalg.yield %[[OUT]] : f32
// CHECK: return %[[R]]
func.func @quantize_fp16_nearest(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = qopt.quantize %x to <fp16> : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

/// Rounding toward zero truncates: no round-up select, no tie logic. bf16
/// has f32's exponent range, so the magnitude's bit pattern is masked
/// directly (0xFFFF0000 clears the 16 dropped bits).
// CHECK-LABEL: func.func @quantize_bf16_toward_zero
// CHECK: linalg.generic
// CHECK-DAG: arith.constant -65536 : i32
// CHECK-NOT: arith.ori {{.*}} : i1
// CHECK: linalg.yield
func.func @quantize_bf16_toward_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.quantize %x to <bf16> rounding <toward_zero> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

/// Dynamic shapes size the result with tensor.dim.
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @quantize_dynamic
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x?xf32>)
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf32>
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf32>
// CHECK: tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
func.func @quantize_dynamic(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = qopt.quantize %x to <fp8_e4m3> : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

/// Stochastic rounding: the (seed, step, stream) key is computed once
/// outside the loop, 64-bit, and split into two i32 words, the low one
/// already xor-shifted by 16 (the first round's shift distributes over the
/// xor with the index); inside, the row-major linear index is hashed into 32
/// random bits with i32 arithmetic only. A static shape below 2^32 elements
/// has no high index half to mix in. The quantize had no stream: the pass
/// assigned it 0, which enters the key as 0 * 0xD1B54A32D192ED03.
// CHECK-LABEL: func.func @quantize_stochastic
// CHECK-SAME: (%[[X:[^:]*]]: tensor<3x5xf32>, %[[SEED:[^:]*]]: i64, %[[STEP:[^:]*]]: i64)
// CHECK: arith.addi %[[STEP]], %{{.*}} : i64
// CHECK: %[[S0:.*]] = arith.constant 0 : i64
// CHECK-NEXT: arith.xori %{{.*}}, %[[S0]] : i64
// CHECK: %[[KLO:.*]] = arith.trunci %[[KEY:.*]] : i64 to i32
// CHECK-NEXT: arith.constant 16 : i32
// CHECK-NEXT: %[[KLOSHR:.*]] = arith.shrui %[[KLO]], %{{.*}} : i32
// CHECK-NEXT: %[[K0:.*]] = arith.xori %[[KLO]], %[[KLOSHR]] : i32
// CHECK-NEXT: arith.constant 32 : i64
// CHECK-NEXT: %[[KHI:.*]] = arith.shrui %[[KEY]], %{{.*}} : i64
// CHECK-NEXT: %[[K1:.*]] = arith.trunci %[[KHI]] : i64 to i32
// CHECK-NEXT: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[IROW:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[LIN:.*]] = arith.addi %[[IROW]], %[[J]] : index
// CHECK: %[[LIN64:.*]] = arith.index_castui %[[LIN]] : index to i64
// CHECK: %[[LO:.*]] = arith.trunci %[[LIN64]] : i64 to i32
// CHECK-NEXT: arith.constant 16 : i32
// CHECK-NEXT: %[[LOSHR:.*]] = arith.shrui %[[LO]], %{{.*}} : i32
// CHECK-NEXT: %[[LOMIX:.*]] = arith.xori %[[LO]], %[[LOSHR]] : i32
// CHECK-NEXT: %[[X0:.*]] = arith.xori %[[LOMIX]], %[[K0]] : i32
// CHECK: arith.muli %[[X0]], %{{.*}} : i32
// CHECK: arith.xori %{{.*}}, %[[K1]] : i32
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK-NOT: i64
// CHECK: linalg.yield
func.func @quantize_stochastic(%x: tensor<3x5xf32>, %seed: i64, %step: i64) -> tensor<3x5xf32> {
  %0 = qopt.quantize %x to <e8m3> rounding <stochastic> seed %seed step %step : tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

/// A dynamic shape may hold more than 2^32 elements: the high half of the
/// index is mixed in with the key's second word, selected by a comparison of
/// the element count made once before the loop (LLVM unswitches the loop on
/// it, so the common case has no 64-bit index lanes). A stream is one more
/// constant in the key.
// CHECK-LABEL: func.func @quantize_stochastic_dynamic
// CHECK: %[[N:.*]] = tensor.dim
// CHECK: arith.constant 8439708973090260745 : i64
// CHECK: arith.constant 32 : i64
// CHECK-NEXT: arith.shrui
// CHECK-NEXT: %[[K1:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK-NEXT: %[[LIMIT:.*]] = arith.constant 4294967296 : index
// CHECK-NEXT: %[[WIDE:.*]] = arith.cmpi ugt, %[[N]], %[[LIMIT]] : index
// CHECK-NEXT: linalg.generic
// CHECK: %[[LIN64:.*]] = arith.index_castui %{{.*}} : index to i64
// CHECK: arith.trunci %[[LIN64]] : i64 to i32
// CHECK: %[[HI:.*]] = arith.shrui %[[LIN64]], %{{.*}} : i64
// CHECK-NEXT: %[[HI32:.*]] = arith.trunci %[[HI]] : i64 to i32
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[HISEL:.*]] = arith.select %[[WIDE]], %[[HI32]], %[[ZERO]] : i32
// CHECK-NEXT: %[[MIX:.*]] = arith.xori %[[K1]], %[[HISEL]] : i32
// CHECK-NEXT: arith.xori %{{.*}}, %[[MIX]] : i32
// CHECK: linalg.yield
func.func @quantize_stochastic_dynamic(%x: tensor<?xf32>, %seed: i64, %step: i64) -> tensor<?xf32> {
  %0 = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step stream 3 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

/// Flush-to-zero compares the rounded magnitude with the smallest normal
/// (2^-14 for e5m2: f32 pattern 947912704); saturation replaces infinity
/// (2139095040) by the largest finite value (57344: 1197473792).
// CHECK-LABEL: func.func @quantize_flush_saturate
// CHECK: linalg.generic
// CHECK-DAG: arith.constant 947912704 : i32
// CHECK-DAG: arith.constant 1197473792 : i32
// CHECK: linalg.yield
func.func @quantize_flush_saturate(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.quantize %x to <fp8_e5m2, subnormals = flush, overflow = saturate> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

/// Rank-0 tensors are quantized too.
// CHECK-LABEL: func.func @quantize_scalar_tensor
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = []}
func.func @quantize_scalar_tensor(%x: tensor<f32>) -> tensor<f32> {
  %0 = qopt.quantize %x to <bf16> : tensor<f32>
  return %0 : tensor<f32>
}
