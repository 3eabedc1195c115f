// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s

/// qopt.all_gather_sum in fp8_e5m2: the input encoded to f8E5M2 codes (its
/// quantize to the same format, lowered on its own, makes the
/// encode's rounding a no-op), the codes
/// gathered by the runtime into a ranks x shape buffer (addresses, bytes =
/// 12 elements x 1 byte, elements, ranks), then decoded and summed in rank
/// order: the rank loop is the outer reduction, from -0.0.

// CHECK-LABEL: func.func private @qopt_dp_all_gather(i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @exchange_e5m2
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x4xf32>
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<3x4xf8E5M2>)
// CHECK: %[[SEND:.*]] = bufferization.to_buffer %[[C]] read_only : tensor<3x4xf8E5M2> to memref<3x4xf8E5M2>
// CHECK: %[[RECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<5x3x4xf8E5M2>
// CHECK: %[[SP:.*]] = memref.extract_aligned_pointer_as_index %[[SEND]]
// CHECK: %[[SI:.*]] = arith.index_cast %[[SP]] : index to i64
// CHECK: %[[RP:.*]] = memref.extract_aligned_pointer_as_index %[[RECV]]
// CHECK: %[[RI:.*]] = arith.index_cast %[[RP]] : index to i64
// CHECK: %[[BYTES:.*]] = arith.constant 12 : i64
// CHECK: %[[ELEMENTS:.*]] = arith.constant 12 : i64
// CHECK: %[[RANKS:.*]] = arith.constant 5 : i64
// CHECK: call @qopt_dp_all_gather(%[[SI]], %[[RI]], %[[BYTES]], %[[ELEMENTS]], %[[RANKS]])
// CHECK: %[[ALL:.*]] = bufferization.to_tensor %[[RECV]] restrict : memref<5x3x4xf8E5M2> to tensor<5x3x4xf8E5M2>
// CHECK: %[[NZ:.*]] = arith.constant -0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[NZ]] : f32) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["reduction", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[ALL]] : tensor<5x3x4xf8E5M2>) outs(%[[INIT]] : tensor<3x4xf32>)
// CHECK: ^bb0(%[[CODE:[^:]*]]: f8E5M2, %[[ACC:[^:]*]]: f32):
// CHECK: arith.bitcast %[[CODE]] : f8E5M2 to i8
// CHECK: %[[V:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[V]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK-NOT: qopt.
// CHECK: return %[[SUM]]
func.func @exchange_e5m2(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %q = qopt.quantize %x to <fp8_e5m2> component <grad> : tensor<3x4xf32>
  %s = qopt.all_gather_sum %q as <fp8_e5m2> ranks 5 : tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}

// -----

/// Without a format the values travel as f32 (4 bytes each); a scalar is
/// a 0-d tensor, gathered into tensor<ranks>.

// CHECK-LABEL: func.func @exchange_f32_scalar
// CHECK-SAME: %[[X:[^:]*]]: tensor<f32>
// CHECK: %[[SEND:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<f32> to memref<f32>
// CHECK: %[[RECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2xf32>
// CHECK: %[[FOUR:.*]] = arith.constant 4 : i64
// CHECK: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK: %[[TWO:.*]] = arith.constant 2 : i64
// CHECK: call @qopt_dp_all_gather(%{{.*}}, %{{.*}}, %[[FOUR]], %[[ONE]], %[[TWO]])
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK-SAME: ins(%{{.*}} : tensor<2xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK-NOT: extf
// CHECK: arith.addf
func.func @exchange_f32_scalar(%x: tensor<f32>) -> tensor<f32> {
  %s = qopt.all_gather_sum %x ranks 2 : tensor<f32>
  return %s : tensor<f32>
}

// -----

/// qopt.gather_sum: the same encoding, receive buffer and rank-order sum
/// as qopt.all_gather_sum, through the runtime's qopt_dp_gather (rank 0
/// receives the codes, the workers zeros).

// CHECK-LABEL: func.func private @qopt_dp_gather(i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @gather_sum_e5m2
// CHECK: %[[C:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x4xf8E5M2>)
// CHECK: %[[SEND:.*]] = bufferization.to_buffer %[[C]] read_only : tensor<3x4xf8E5M2> to memref<3x4xf8E5M2>
// CHECK: %[[RECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x4xf8E5M2>
// CHECK: %[[BYTES:.*]] = arith.constant 12 : i64
// CHECK: %[[ELEMENTS:.*]] = arith.constant 12 : i64
// CHECK: %[[RANKS:.*]] = arith.constant 2 : i64
// CHECK: call @qopt_dp_gather(%{{.*}}, %{{.*}}, %[[BYTES]], %[[ELEMENTS]], %[[RANKS]])
// CHECK: %[[ALL:.*]] = bufferization.to_tensor %[[RECV]] restrict
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]
// CHECK-SAME: ins(%[[ALL]] : tensor<2x3x4xf8E5M2>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: arith.addf
// CHECK-NOT: qopt.
func.func @gather_sum_e5m2(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %s = qopt.gather_sum %x as <fp8_e5m2> ranks 2 : tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}

// -----

/// qopt.broadcast: the codes of rank 0 land in a buffer of the input's
/// shape (one copy, whatever the number of ranks) and are decoded; in f32
/// the received buffer is the result.

// CHECK-LABEL: func.func private @qopt_dp_broadcast(i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @broadcast
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x4xf32>
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<3x4xbf16>)
// CHECK: %[[SEND:.*]] = bufferization.to_buffer %[[C]] read_only : tensor<3x4xbf16> to memref<3x4xbf16>
// CHECK: %[[RECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x4xbf16>
// CHECK: %[[BYTES:.*]] = arith.constant 24 : i64
// CHECK: %[[ELEMENTS:.*]] = arith.constant 12 : i64
// CHECK: %[[RANKS:.*]] = arith.constant 5 : i64
// CHECK: call @qopt_dp_broadcast(%{{.*}}, %{{.*}}, %[[BYTES]], %[[ELEMENTS]], %[[RANKS]])
// CHECK: %[[GOT:.*]] = bufferization.to_tensor %[[RECV]] restrict : memref<3x4xbf16> to tensor<3x4xbf16>
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%[[GOT]] : tensor<3x4xbf16>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: %[[FSEND:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<3x4xf32> to memref<3x4xf32>
// CHECK: %[[FRECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x4xf32>
// CHECK: %[[FBYTES:.*]] = arith.constant 48 : i64
// CHECK: call @qopt_dp_broadcast(%{{.*}}, %{{.*}}, %[[FBYTES]],
// CHECK: %[[F:.*]] = bufferization.to_tensor %[[FRECV]] restrict : memref<3x4xf32> to tensor<3x4xf32>
// CHECK-NOT: qopt.
// CHECK: return %[[W]], %[[F]]
func.func @broadcast(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = qopt.broadcast %x as <bf16> ranks 5 : tensor<3x4xf32>
  %f = qopt.broadcast %x ranks 5 : tensor<3x4xf32>
  return %w, %f : tensor<3x4xf32>, tensor<3x4xf32>
}
