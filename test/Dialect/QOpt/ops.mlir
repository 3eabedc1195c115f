// RUN: qopt-opt %s | qopt-opt | FileCheck %s
// RUN: qopt-opt %s --mlir-print-op-generic | qopt-opt | FileCheck %s

/// Every op and every attribute form round-trips: printed, parsed again and
/// printed again (second RUN line: through the generic form).

// CHECK-LABEL: func.func @quantize_named_formats
func.func @quantize_named_formats(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK: qopt.quantize %{{.*}} to <tf32> : tensor<4xf32>
  %0 = qopt.quantize %x to <tf32> : tensor<4xf32>
  // CHECK: qopt.quantize %{{.*}} to <bf16> : tensor<4xf32>
  %1 = qopt.quantize %x to <bf16> : tensor<4xf32>
  // CHECK: qopt.quantize %{{.*}} to <fp16> : tensor<4xf32>
  %2 = qopt.quantize %x to <fp16> : tensor<4xf32>
  // CHECK: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
  %3 = qopt.quantize %x to <fp8_e4m3> : tensor<4xf32>
  // CHECK: qopt.quantize %{{.*}} to <fp8_e5m2> : tensor<4xf32>
  %4 = qopt.quantize %x to <fp8_e5m2> : tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @quantize_exp_man_forms
func.func @quantize_exp_man_forms(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  /// e8m7 is bf16 and prints by its name.
  // CHECK: qopt.quantize %{{.*}} to <bf16> : tensor<2x3xf32>
  %0 = qopt.quantize %x to <e8m7> : tensor<2x3xf32>
  // CHECK: qopt.quantize %{{.*}} to <e3m4, subnormals = flush, overflow = saturate, encoding = fn> : tensor<2x3xf32>
  %1 = qopt.quantize %x to <e3m4, encoding = fn, overflow = saturate, subnormals = flush> : tensor<2x3xf32>
  // CHECK: qopt.quantize %{{.*}} to <fp8_e4m3, overflow = saturate> : tensor<2x3xf32>
  %2 = qopt.quantize %x to <fp8_e4m3, overflow = saturate> : tensor<2x3xf32>
  /// e4m3 without the fn encoding is the IEEE-style format, not fp8_e4m3.
  // CHECK: qopt.quantize %{{.*}} to <e4m3> : tensor<2x3xf32>
  %3 = qopt.quantize %x to <e4m3, encoding = ieee> : tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @quantize_extremes
func.func @quantize_extremes(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK: qopt.quantize %{{.*}} to <e2m0> : tensor<4xf32>
  %0 = qopt.quantize %x to <e2m0> : tensor<4xf32>
  // CHECK: qopt.quantize %{{.*}} to <e8m22> : tensor<4xf32>
  %1 = qopt.quantize %x to <e8m22> : tensor<4xf32>
  // CHECK: qopt.quantize %{{.*}} to <e7m1, encoding = fn> : tensor<4xf32>
  %2 = qopt.quantize %x to <e7m1, encoding = fn> : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @quantize_rounding_and_component
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x8xf32>, %[[SEED:[^:]*]]: i64, %[[STEP:[^:]*]]: i64)
func.func @quantize_rounding_and_component(%x: tensor<?x8xf32>, %seed: i64, %step: i64) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  /// The default rounding is elided.
  // CHECK: qopt.quantize %[[X]] to <bf16> : tensor<?x8xf32>
  %0 = qopt.quantize %x to <bf16> rounding <nearest_even> : tensor<?x8xf32>
  // CHECK: qopt.quantize %[[X]] to <fp16> rounding <toward_zero> component <grad> : tensor<?x8xf32>
  %1 = qopt.quantize %x to <fp16> rounding <toward_zero> component <grad> : tensor<?x8xf32>
  // CHECK: qopt.quantize %[[X]] to <fp8_e5m2> rounding <stochastic> component <first_moment> seed %[[SEED]] step %[[STEP]] : tensor<?x8xf32>
  %2 = qopt.quantize %x to <e5m2> rounding <stochastic> component <first_moment> seed %seed step %step : tensor<?x8xf32>
  // CHECK: qopt.quantize %[[X]] to <bf16> rounding <stochastic> seed %[[SEED]] step %[[STEP]] stream -7 : tensor<?x8xf32>
  %s = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step stream -7 : tensor<?x8xf32>
  // CHECK: qopt.quantize %[[X]] to <bf16> rounding <stochastic> seed %[[SEED]] step %[[STEP]] stream 4294967296 : tensor<?x8xf32>
  %s2 = "qopt.quantize"(%x, %seed, %step) <{format = #qopt.format<bf16>, rounding = #qopt.rounding<stochastic>, stream = 4294967296 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<?x8xf32>, i64, i64) -> tensor<?x8xf32>
  // CHECK: qopt.quantize %[[X]] to <bf16> component <second_moment> : tensor<?x8xf32>
  %3 = qopt.quantize %x to <bf16> component <second_moment> : tensor<?x8xf32>
  return %0, %1, %2, %3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @quantize_weight_rank0
func.func @quantize_weight_rank0(%x: tensor<f32>) -> tensor<f32> {
  // CHECK: qopt.quantize %{{.*}} to <fp8_e5m2> component <weight> : tensor<f32>
  %0 = qopt.quantize %x to <fp8_e5m2> component <weight> : tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @adam_update
// CHECK-SAME: (%[[W:[^:]*]]: tensor<16xf32>, %[[G:[^:]*]]: tensor<16xf32>, %[[M:[^:]*]]: tensor<16xf32>, %[[V:[^:]*]]: tensor<16xf32>, %[[T:[^:]*]]: i64)
func.func @adam_update(%w: tensor<16xf32>, %g: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>, %t: i64) -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T]] {lr = 1.000000e-03 : f32} : tensor<16xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<16xf32>
  // CHECK: qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T]] {beta1 = 8.000000e-01 : f32, beta2 = 0.000000e+00 : f32, epsilon = 9.99999997E-7 : f32, lr = 0.000000e+00 : f32, weight_decay = 0.00999999977 : f32} : tensor<16xf32>
  %w2, %m2, %v2 = qopt.adam_update %w, %g, %m, %v, %t {lr = 0.0 : f32, beta1 = 0.8 : f32, beta2 = 0.0 : f32, epsilon = 1.0e-6 : f32, weight_decay = 1.0e-2 : f32} : tensor<16xf32>
  /// The variant flags print when they differ from their defaults.
  // CHECK: qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T]] {bias_correction = false, decoupled_weight_decay = false, epsilon_inside_sqrt = true, lr = 1.000000e-03 : f32, weight_decay = 0.00999999977 : f32} : tensor<16xf32>
  %w3, %m3, %v3 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32, bias_correction = false, epsilon_inside_sqrt = true, decoupled_weight_decay = false} : tensor<16xf32>
  // CHECK: qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T]] {lr = 1.000000e-03 : f32} : tensor<16xf32>
  %w4, %m4, %v4 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32, bias_correction = true, epsilon_inside_sqrt = false, decoupled_weight_decay = true} : tensor<16xf32>
  return %w1, %m2, %v1 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @muon_update
// CHECK-SAME: (%[[W:[^:]*]]: tensor<8x4xf32>, %[[G:[^:]*]]: tensor<8x4xf32>, %[[B:[^:]*]]: tensor<8x4xf32>)
func.func @muon_update(%w: tensor<8x4xf32>, %g: tensor<8x4xf32>, %b: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  // CHECK: %{{.*}}, %{{.*}} = qopt.muon_update %[[W]], %[[G]], %[[B]] {lr = 2.000000e-02 : f32} : tensor<8x4xf32>
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32} : tensor<8x4xf32>
  // CHECK: qopt.muon_update %[[W]], %[[G]], %[[B]] {epsilon = 9.99999974E-6 : f32, lr = 1.000000e-01 : f32, momentum = 0.000000e+00 : f32, nesterov = false, ns_coeffs = array<f32: 1.500000e+00, -5.000000e-01, 0.000000e+00>, ns_steps = 3 : i64, weight_decay = 1.000000e-01 : f32} : tensor<8x4xf32>
  %w2, %b2 = qopt.muon_update %w, %g, %b {lr = 0.1 : f32, momentum = 0.0 : f32, nesterov = false, ns_steps = 3, ns_coeffs = array<f32: 1.5, -0.5, 0.0>, epsilon = 1.0e-5 : f32, weight_decay = 0.1 : f32} : tensor<8x4xf32>
  return %w1, %b2 : tensor<8x4xf32>, tensor<8x4xf32>
}

// CHECK-LABEL: func.func @adam_update_operands
// CHECK-SAME: (%[[W:[^:]*]]: tensor<16xf32>, %[[T:[^:]*]]: i64, %[[LR:[^:]*]]: f32, %[[B1:[^:]*]]: f32, %[[B2:[^:]*]]: f32, %[[EPS:[^:]*]]: f32, %[[WD:[^:]*]]: f32)
func.func @adam_update_operands(%w: tensor<16xf32>, %t: i64, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32) -> (tensor<16xf32>, tensor<16xf32>) {
  /// Hyper-parameters as operands replace the attributes of the same name.
  // CHECK: qopt.adam_update %[[W]], %[[W]], %[[W]], %[[W]], %[[T]] lr(%[[LR]]) beta1(%[[B1]]) beta2(%[[B2]]) epsilon(%[[EPS]]) weight_decay(%[[WD]]) : tensor<16xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %w, %w, %w, %t lr(%lr) beta1(%b1) beta2(%b2) epsilon(%eps) weight_decay(%wd) : tensor<16xf32>
  /// Any subset, the others attributes.
  // CHECK: qopt.adam_update %[[W]], %[[W]], %[[W]], %[[W]], %[[T]] beta2(%[[B2]]) {decoupled_weight_decay = false, lr = 1.000000e-03 : f32, weight_decay = 0.00999999977 : f32} : tensor<16xf32>
  %w2, %m2, %v2 = qopt.adam_update %w, %w, %w, %w, %t beta2(%b2) {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32, decoupled_weight_decay = false} : tensor<16xf32>
  return %w1, %w2 : tensor<16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @muon_update_operands
// CHECK-SAME: (%[[W:[^:]*]]: tensor<8x4xf32>, %[[LR:[^:]*]]: f32, %[[WD:[^:]*]]: f32)
func.func @muon_update_operands(%w: tensor<8x4xf32>, %lr: f32, %wd: f32) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  // CHECK: qopt.muon_update %[[W]], %[[W]], %[[W]] lr(%[[LR]]) weight_decay(%[[WD]]) : tensor<8x4xf32>
  %w1, %b1 = qopt.muon_update %w, %w, %w lr(%lr) weight_decay(%wd) : tensor<8x4xf32>
  // CHECK: qopt.muon_update %[[W]], %[[W]], %[[W]] lr(%[[LR]]) {nesterov = false} : tensor<8x4xf32>
  %w2, %b2 = qopt.muon_update %w, %w, %w lr(%lr) {nesterov = false} : tensor<8x4xf32>
  return %w1, %w2 : tensor<8x4xf32>, tensor<8x4xf32>
}

// CHECK-LABEL: func.func @muon_update_dynamic
func.func @muon_update_dynamic(%w: tensor<?x?xf32>, %g: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  // CHECK: qopt.muon_update %{{.*}}, %{{.*}}, %{{.*}} {lr = 2.000000e-02 : f32} : tensor<?x?xf32>
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32} : tensor<?x?xf32>
  return %w1, %b1 : tensor<?x?xf32>, tensor<?x?xf32>
}

// CHECK-LABEL: func.func @attributes_standalone
// CHECK: qopt.attrs = [#qopt.rounding<stochastic>, #qopt.component<second_moment>, #qopt.format<fp32>, #qopt.format<fp16, subnormals = flush>]
func.func @attributes_standalone() attributes {qopt.attrs = [#qopt.rounding<stochastic>, #qopt.component<second_moment>, #qopt.format<fp32>, #qopt.format<e5m10, subnormals = flush>]} {
  return
}

// CHECK-LABEL: func.func @encode_decode_containers
func.func @encode_decode_containers(%x: tensor<4x2xf32>) -> (tensor<4x2xbf16>, tensor<4x2xf8E4M3FN>, tensor<4x2xi8>, tensor<4x2xi16>, tensor<4x2xf32>) {
  // CHECK: qopt.encode %{{.*}} as <e8m3> : tensor<4x2xf32> to tensor<4x2xbf16>
  %0 = qopt.encode %x as <e8m3> : tensor<4x2xf32> to tensor<4x2xbf16>
  // CHECK: qopt.encode %{{.*}} as <fp8_e4m3> : tensor<4x2xf32> to tensor<4x2xf8E4M3FN>
  %1 = qopt.encode %x as <fp8_e4m3> : tensor<4x2xf32> to tensor<4x2xf8E4M3FN>
  // CHECK: qopt.encode %{{.*}} as <e5m2, encoding = fn> : tensor<4x2xf32> to tensor<4x2xi8>
  %2 = qopt.encode %x as <e5m2, encoding = fn> : tensor<4x2xf32> to tensor<4x2xi8>
  // CHECK: qopt.encode %{{.*}} as <e6m8> : tensor<4x2xf32> to tensor<4x2xi16>
  %3 = qopt.encode %x as <e6m8> : tensor<4x2xf32> to tensor<4x2xi16>
  // CHECK: qopt.decode %{{.*}} as <e8m3> : tensor<4x2xbf16> to tensor<4x2xf32>
  %4 = qopt.decode %0 as <e8m3> : tensor<4x2xbf16> to tensor<4x2xf32>
  return %0, %1, %2, %3, %4 : tensor<4x2xbf16>, tensor<4x2xf8E4M3FN>, tensor<4x2xi8>, tensor<4x2xi16>, tensor<4x2xf32>
}

// CHECK-LABEL: func.func @encode_decode_native_f8_and_f16
func.func @encode_decode_native_f8_and_f16(%x: tensor<?xf32>) -> (tensor<?xf8E5M2>, tensor<?xf8E4M3>, tensor<?xf8E3M4>, tensor<?xf16>, tensor<?xf32>) {
  // CHECK: qopt.encode %{{.*}} as <fp8_e5m2, subnormals = flush> : tensor<?xf32> to tensor<?xf8E5M2>
  %0 = qopt.encode %x as <fp8_e5m2, subnormals = flush> : tensor<?xf32> to tensor<?xf8E5M2>
  // CHECK: qopt.encode %{{.*}} as <e4m2> : tensor<?xf32> to tensor<?xf8E4M3>
  %1 = qopt.encode %x as <e4m2> : tensor<?xf32> to tensor<?xf8E4M3>
  // CHECK: qopt.encode %{{.*}} as <e3m4> : tensor<?xf32> to tensor<?xf8E3M4>
  %2 = qopt.encode %x as <e3m4> : tensor<?xf32> to tensor<?xf8E3M4>
  // CHECK: qopt.encode %{{.*}} as <e5m7> : tensor<?xf32> to tensor<?xf16>
  %3 = qopt.encode %x as <e5m7> : tensor<?xf32> to tensor<?xf16>
  // CHECK: qopt.decode %{{.*}} as <e5m0> : tensor<?xi8> to tensor<?xf32>
  %c = qopt.encode %x as <e5m0> : tensor<?xf32> to tensor<?xi8>
  %4 = qopt.decode %c as <e5m0> : tensor<?xi8> to tensor<?xf32>
  return %0, %1, %2, %3, %4 : tensor<?xf8E5M2>, tensor<?xf8E4M3>, tensor<?xf8E3M4>, tensor<?xf16>, tensor<?xf32>
}

// CHECK-LABEL: func.func @all_gather_sum
// CHECK: qopt.all_gather_sum %{{.*}} as <fp8_e5m2> ranks 4 : tensor<8x3xf32>
// CHECK: qopt.all_gather_sum %{{.*}} ranks 1 : tensor<f32>
func.func @all_gather_sum(%g: tensor<8x3xf32>, %l: tensor<f32>) -> (tensor<8x3xf32>, tensor<f32>) {
  %0 = qopt.all_gather_sum %g as <fp8_e5m2> ranks 4 : tensor<8x3xf32>
  %1 = qopt.all_gather_sum %l ranks 1 : tensor<f32>
  return %0, %1 : tensor<8x3xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @master_worker_exchanges
// CHECK: qopt.gather_sum %{{.*}} as <fp8_e5m2> ranks 4 : tensor<8x3xf32>
// CHECK: qopt.broadcast %{{.*}} as <fp8_e4m3> ranks 4 : tensor<8x3xf32>
// CHECK: qopt.broadcast %{{.*}} ranks 2 : tensor<3xf32>
func.func @master_worker_exchanges(%g: tensor<8x3xf32>, %w: tensor<3xf32>)
    -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<3xf32>) {
  %0 = qopt.gather_sum %g as <fp8_e5m2> ranks 4 : tensor<8x3xf32>
  %1 = qopt.broadcast %g as <fp8_e4m3> ranks 4 : tensor<8x3xf32>
  %2 = qopt.broadcast %w ranks 2 : tensor<3xf32>
  return %0, %1, %2 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<3xf32>
}
