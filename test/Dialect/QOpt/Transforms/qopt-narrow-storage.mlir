// RUN: qopt-opt %s --qopt-narrow-storage -split-input-file | FileCheck %s

/// Adam: each quantized moment gets the smallest exact container, the
/// arguments are decoded for the update, the returned values encoded.

// CHECK-LABEL: func.func @adam_moments
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<8xf32>
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<8xf8E4M3FN> {qopt.storage = #qopt.format<fp8_e4m3>}
// CHECK-SAME: %[[V:[a-z0-9]+]]: tensor<8xbf16> {qopt.storage = #qopt.format<e8m3>}
// CHECK-SAME: -> (tensor<8xf32>, tensor<8xf8E4M3FN> {qopt.storage = #qopt.format<fp8_e4m3>}, tensor<8xbf16> {qopt.storage = #qopt.format<e8m3>}, f32)
// CHECK-DAG: %[[MD:.*]] = qopt.decode %[[M]] as <fp8_e4m3> : tensor<8xf8E4M3FN> to tensor<8xf32>
// CHECK-DAG: %[[VD:.*]] = qopt.decode %[[V]] as <e8m3> : tensor<8xbf16> to tensor<8xf32>
// CHECK: %[[W1:.*]], %[[M1:.*]], %[[V1:.*]] = qopt.adam_update %[[W]], %{{.*}}, %[[MD]], %[[VD]]
// CHECK: %[[MQ:.*]] = qopt.quantize %[[M1]] to <fp8_e4m3>
// CHECK: %[[VQ:.*]] = qopt.quantize %[[V1]] to <e8m3>
// CHECK-DAG: %[[ME:.*]] = qopt.encode %[[MQ]] as <fp8_e4m3> : tensor<8xf32> to tensor<8xf8E4M3FN>
// CHECK-DAG: %[[VE:.*]] = qopt.encode %[[VQ]] as <e8m3> : tensor<8xf32> to tensor<8xbf16>
// CHECK: return %[[W1]], %[[ME]], %[[VE]], %{{.*}}
func.func @adam_moments(%w: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>,
                        %g: tensor<8xf32>, %t: i64)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, f32) {
  %loss = arith.constant 1.0 : f32
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<8xf32>
  %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<8xf32>
  %vq = qopt.quantize %v1 to <e8m3> component <second_moment> : tensor<8xf32>
  return %w1, %mq, %vq, %loss : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, f32
}

// -----

/// Formats no native type holds exactly use their own code: e5m2 in the
/// fn encoding (finite up to 98304, beyond f8E5M2) in an i8, e6m8 in an
/// i16; a format of more than 16 bits stays f32, so does an unquantized
/// state.

// CHECK-LABEL: func.func @own_codes
// CHECK-SAME: tensor<2x3xi8> {qopt.storage = #qopt.format<e5m2, encoding = fn>}
// CHECK-SAME: tensor<2x3xi16> {qopt.storage = #qopt.format<e6m8>}
// CHECK-SAME: -> (tensor<2x3xf32>, tensor<2x3xi8> {qopt.storage = #qopt.format<e5m2, encoding = fn>}, tensor<2x3xi16> {qopt.storage = #qopt.format<e6m8>})
// CHECK-LABEL: func.func @wide_formats_stay_f32
// CHECK-SAME: (%{{.*}}: tensor<4xf32>, %{{.*}}: tensor<4xf32>, %{{.*}}: tensor<4xf32>,
// CHECK-NOT: qopt.decode
// CHECK-NOT: qopt.encode
// CHECK: return
func.func @own_codes(%w: tensor<2x3xf32>, %m: tensor<2x3xf32>, %v: tensor<2x3xf32>,
                     %g: tensor<2x3xf32>, %t: i64)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<2x3xf32>
  %mq = qopt.quantize %m1 to <e5m2, encoding = fn> : tensor<2x3xf32>
  %vq = qopt.quantize %v1 to <e6m8> : tensor<2x3xf32>
  return %w1, %mq, %vq : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

func.func @wide_formats_stay_f32(%w: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>,
                                 %g: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  %mq = qopt.quantize %m1 to <e8m10> : tensor<4xf32>
  return %w1, %mq, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// Muon's momentum buffer; a caller gets explicit conversions.

// CHECK-LABEL: func.func @muon_step
// CHECK-SAME: %[[B:[a-z0-9]+]]: tensor<4x8xbf16> {qopt.storage = #qopt.format<bf16>}
// CHECK: %[[BD:.*]] = qopt.decode %[[B]] as <bf16>
// CHECK: qopt.muon_update %{{.*}}, %{{.*}}, %[[BD]]
// CHECK: qopt.encode %{{.*}} as <bf16> : tensor<4x8xf32> to tensor<4x8xbf16>
// CHECK-LABEL: func.func @caller
// CHECK: %[[E:.*]] = qopt.encode %{{.*}} as <bf16> : tensor<4x8xf32> to tensor<4x8xbf16>
// CHECK: %[[R:.*]]:2 = call @muon_step(%{{.*}}, %{{.*}}, %[[E]]) : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xbf16>) -> (tensor<4x8xf32>, tensor<4x8xbf16>)
// CHECK: %[[D:.*]] = qopt.decode %[[R]]#1 as <bf16> : tensor<4x8xbf16> to tensor<4x8xf32>
// CHECK: return %[[R]]#0, %[[D]]
func.func @muon_step(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>, %b: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32} : tensor<4x8xf32>
  %bq = qopt.quantize %b1 to <bf16> component <first_moment> : tensor<4x8xf32>
  return %w1, %bq : tensor<4x8xf32>, tensor<4x8xf32>
}

func.func @caller(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>, %b: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %r:2 = call @muon_step(%w, %g, %b) : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
  return %r#0, %r#1 : tensor<4x8xf32>, tensor<4x8xf32>
}
