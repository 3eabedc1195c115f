// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s

/// qopt.encode alone: one generic that rounds to the format (nearest-even)
/// and writes the code; bf16 has f32's exponent, so the code is the top
/// bits of the f32 pattern.

// CHECK-LABEL: func.func @encode_bf16
// CHECK-SAME: %[[X:[^:]*]]: tensor<16xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<16xbf16>
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<16xf32>) outs(%[[E]] : tensor<16xbf16>)
// CHECK: ^bb0(%[[IN:[^:]*]]: f32, %{{[^:]*}}: bf16):
// CHECK: arith.bitcast %[[IN]] : f32 to i32
// CHECK: arith.shrui
// CHECK: %[[T:.*]] = arith.trunci %{{.*}} : i32 to i16
// CHECK: %[[C:.*]] = arith.bitcast %[[T]] : i16 to bf16
// CHECK: linalg.yield %[[C]] : bf16
// CHECK-NOT: qopt.
// CHECK: return %[[R]]
func.func @encode_bf16(%x: tensor<16xf32>) -> tensor<16xbf16> {
  %c = qopt.encode %x as <bf16> : tensor<16xf32> to tensor<16xbf16>
  return %c : tensor<16xbf16>
}

// -----

/// qopt.decode alone, from an own i8 code of a format with fewer exponent
/// bits than f32: subnormals are scaled from the integer mantissa, NaN
/// selected (the fn encoding's all-ones magnitude).

// CHECK-LABEL: func.func @decode_own_code
// CHECK-SAME: %[[C:[^:]*]]: tensor<2x3xi8>
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[C]] : tensor<2x3xi8>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: ^bb0(%[[IN:[^:]*]]: i8, %{{[^:]*}}: f32):
// CHECK: arith.extui %[[IN]] : i8 to i32
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.select
// CHECK: %[[F:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: linalg.yield %[[F]] : f32
// CHECK: return %[[R]]
func.func @decode_own_code(%c: tensor<2x3xi8>) -> tensor<2x3xf32> {
  %x = qopt.decode %c as <e5m2, encoding = fn> : tensor<2x3xi8> to tensor<2x3xf32>
  return %x : tensor<2x3xf32>
}

// -----

/// An encode of a quantize to the same format does not round twice.

// CHECK-LABEL: func.func @encode_after_quantize
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: ^bb0(%[[IN:[^:]*]]: f32, %{{[^:]*}}: f8E4M3FN):
// CHECK-NEXT: arith.bitcast %[[IN]] : f32 to i32
// CHECK-NOT: arith.cmpi ult
func.func @encode_after_quantize(%x: tensor<16xf32>) -> tensor<16xf8E4M3FN> {
  %q = qopt.quantize %x to <fp8_e4m3> rounding <toward_zero> : tensor<16xf32>
  %c = qopt.encode %q as <fp8_e4m3> : tensor<16xf32> to tensor<16xf8E4M3FN>
  return %c : tensor<16xf8E4M3FN>
}

// -----

/// Narrow state in the fused Adam loop: the decodes of m and v and the
/// quantize + encode of m' and v' disappear into the one generic, which
/// updates the narrow m and v in place (they are its outs).

// CHECK-LABEL: func.func @adam_narrow_state
// CHECK-SAME: %[[W:[^:]*]]: tensor<64xf32>, %[[G:[^:]*]]: tensor<64xf32>, %[[M:[^:]*]]: tensor<64xf8E4M3FN>, %[[V:[^:]*]]: tensor<64xbf16>
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: ins(%[[G]] : tensor<64xf32>) outs(%[[W]], %[[M]], %[[V]] : tensor<64xf32>, tensor<64xf8E4M3FN>, tensor<64xbf16>)
// CHECK-NEXT: ^bb0(%{{[^:]*}}: f32, %{{[^:]*}}: f32, %[[MI:[^:]*]]: f8E4M3FN, %[[VI:[^:]*]]: bf16):
// CHECK-DAG: arith.bitcast %[[MI]] : f8E4M3FN to i8
// CHECK-DAG: arith.bitcast %[[VI]] : bf16 to i16
// CHECK: math.sqrt
// CHECK: linalg.yield %{{.*}}, %{{.*}}, %{{.*}} : f32, f8E4M3FN, bf16
// CHECK-NOT: linalg.generic
// CHECK-NOT: qopt.
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam_narrow_state(%w: tensor<64xf32>, %g: tensor<64xf32>,
                             %m: tensor<64xf8E4M3FN>, %v: tensor<64xbf16>,
                             %t: i64)
    -> (tensor<64xf32>, tensor<64xf8E4M3FN>, tensor<64xbf16>) {
  %md = qopt.decode %m as <fp8_e4m3> : tensor<64xf8E4M3FN> to tensor<64xf32>
  %vd = qopt.decode %v as <e8m3> : tensor<64xbf16> to tensor<64xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %md, %vd, %t {lr = 1.0e-3 : f32}
      : tensor<64xf32>
  %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<64xf32>
  %vq = qopt.quantize %v1 to <e8m3> component <second_moment> : tensor<64xf32>
  %me = qopt.encode %mq as <fp8_e4m3> : tensor<64xf32> to tensor<64xf8E4M3FN>
  %ve = qopt.encode %vq as <e8m3> : tensor<64xf32> to tensor<64xbf16>
  return %w1, %me, %ve : tensor<64xf32>, tensor<64xf8E4M3FN>, tensor<64xbf16>
}

// -----

/// A decoded operand whose result is not encoded: the narrow tensor is read
/// from ins and the loop writes a fresh f32 tensor; an encode without a
/// quantize rounds to nearest-even in the loop.

// CHECK-LABEL: func.func @adam_mixed_state
// CHECK-SAME: %[[W:[^:]*]]: tensor<8xf32>, %[[G:[^:]*]]: tensor<8xf32>, %[[M:[^:]*]]: tensor<8xi8>, %[[V:[^:]*]]: tensor<8xf32>
// CHECK: %[[EM:.*]] = tensor.empty() : tensor<8xf32>
// CHECK: %[[EV:.*]] = tensor.empty() : tensor<8xf16>
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: ins(%[[G]], %[[M]], %[[V]] : tensor<8xf32>, tensor<8xi8>, tensor<8xf32>) outs(%[[W]], %[[EM]], %[[EV]] : tensor<8xf32>, tensor<8xf32>, tensor<8xf16>)
// CHECK: linalg.yield %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f16
// CHECK-NOT: qopt.
func.func @adam_mixed_state(%w: tensor<8xf32>, %g: tensor<8xf32>,
                            %m: tensor<8xi8>, %v: tensor<8xf32>, %t: i64)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf16>) {
  %md = qopt.decode %m as <e4m2> : tensor<8xi8> to tensor<8xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %md, %v, %t {lr = 1.0e-3 : f32}
      : tensor<8xf32>
  %ve = qopt.encode %v1 as <fp16> : tensor<8xf32> to tensor<8xf16>
  return %w1, %m1, %ve : tensor<8xf32>, tensor<8xf32>, tensor<8xf16>
}

// -----

/// Muon: the narrow momentum buffer is updated in place by the momentum
/// loop (its first out), the second out is the f32 update direction.

// CHECK-LABEL: func.func @muon_narrow_buffer
// CHECK-SAME: %[[W:[^:]*]]: tensor<4x8xf32>, %[[G:[^:]*]]: tensor<4x8xf32>, %[[B:[^:]*]]: tensor<4x8xbf16>
// CHECK: %[[MOM:.*]]:2 = linalg.generic
// CHECK-SAME: ins(%[[G]] : tensor<4x8xf32>) outs(%[[B]], %{{.*}} : tensor<4x8xbf16>, tensor<4x8xf32>)
// CHECK: linalg.yield %{{.*}}, %{{.*}} : bf16, f32
// No qopt op is left (the Gram products carry the qopt.symmetric attribute).
// CHECK-NOT: {{= qopt\.|^ *qopt\.}}
// CHECK: return %{{.*}}, %[[MOM]]#0 : tensor<4x8xf32>, tensor<4x8xbf16>
func.func @muon_narrow_buffer(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                              %b: tensor<4x8xbf16>)
    -> (tensor<4x8xf32>, tensor<4x8xbf16>) {
  %bd = qopt.decode %b as <bf16> : tensor<4x8xbf16> to tensor<4x8xf32>
  %w1, %b1 = qopt.muon_update %w, %g, %bd {lr = 2.0e-2 : f32} : tensor<4x8xf32>
  %bq = qopt.quantize %b1 to <bf16> component <first_moment> : tensor<4x8xf32>
  %be = qopt.encode %bq as <bf16> : tensor<4x8xf32> to tensor<4x8xbf16>
  return %w1, %be : tensor<4x8xf32>, tensor<4x8xbf16>
}
