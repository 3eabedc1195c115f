// RUN: qopt-opt %s --qopt-narrow-storage="containers=second_moment=f16,first_moment=i8" -split-input-file | FileCheck %s --check-prefix=FORCED
// RUN: qopt-opt %s --qopt-narrow-storage="master-format=bf16" -split-input-file | FileCheck %s --check-prefix=MASTER
// RUN: qopt-opt %s --qopt-narrow-storage="quantized-weights" -split-input-file | FileCheck %s --check-prefix=QW

/// containers: a hand-chosen container that holds the format exactly
/// (e5m3 values are f16 values; fp8_e4m3 fits its own i8 code) replaces
/// the smallest one.
/// master-format: the new weight is rounded stochastically (a stream past
/// the inserted points' streams) and stored narrow too.

// FORCED-LABEL: func.func @adam_step
// FORCED-SAME: %{{[a-z0-9]+}}: tensor<8xf32>,
// FORCED-SAME: tensor<8xi8> {qopt.storage = #qopt.format<fp8_e4m3>}
// FORCED-SAME: tensor<8xf16> {qopt.storage = #qopt.format<e5m3>}
// FORCED: qopt.encode %{{.*}} as <fp8_e4m3> : tensor<8xf32> to tensor<8xi8>
// FORCED: qopt.encode %{{.*}} as <e5m3> : tensor<8xf32> to tensor<8xf16>

// MASTER-LABEL: func.func @adam_step
// MASTER-SAME: %[[W:[a-z0-9]+]]: tensor<8xbf16> {qopt.storage = #qopt.format<bf16>}
// MASTER-SAME: %[[T:[a-z0-9]+]]: i64, %[[SEED:[a-z0-9]+]]: i64 {qopt.seed}
// MASTER: %[[WD:.*]] = qopt.decode %[[W]] as <bf16>
// MASTER: %[[W1:.*]], %{{.*}}, %{{.*}} = qopt.adam_update %[[WD]], %{{.*}}, %{{.*}}, %{{.*}}, %[[T]]
// MASTER: %[[WQ:.*]] = qopt.quantize %[[W1]] to <bf16> rounding <stochastic> seed %[[SEED]] step %[[T]] stream 4294967296 :
// MASTER: %[[WE:.*]] = qopt.encode %[[WQ]] as <bf16>
// MASTER: return %[[WE]]
func.func @adam_step(%w: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>,
                     %g: tensor<8xf32>, %t: i64, %seed: i64 {qopt.seed})
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<8xf32>
  %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<8xf32>
  %vq = qopt.quantize %v1 to <e5m3> component <second_moment> : tensor<8xf32>
  return %w1, %mq, %vq : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

/// quantized-weights: the Q_W copy crosses the call narrow; the private
/// callee decodes it on entry.

// QW-LABEL: func.func private @forward_backward
// QW-SAME: %[[WQ:[a-z0-9]+]]: tensor<8xbf16> {qopt.storage = #qopt.format<e8m4>}
// QW: %[[D:.*]] = qopt.decode %[[WQ]] as <e8m4> : tensor<8xbf16> to tensor<8xf32>
// QW: arith.mulf %[[D]], %[[D]]
// QW-LABEL: func.func @step_with_copy
// QW: %[[Q:.*]] = qopt.quantize %{{.*}} to <e8m4> component <weight>
// QW: %[[E:.*]] = qopt.encode %[[Q]] as <e8m4> : tensor<8xf32> to tensor<8xbf16>
// QW: call @forward_backward(%[[E]]) : (tensor<8xbf16>) -> tensor<8xf32>
func.func private @forward_backward(%w: tensor<8xf32>) -> tensor<8xf32> {
  %g = arith.mulf %w, %w : tensor<8xf32>
  return %g : tensor<8xf32>
}

func.func @step_with_copy(%w: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %t: i64, %seed: i64 {qopt.seed})
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %wq = qopt.quantize %w to <e8m4> component <weight> : tensor<8xf32>
  %g = call @forward_backward(%wq) : (tensor<8xf32>) -> tensor<8xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<8xf32>
  return %w1, %m1, %v1 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
