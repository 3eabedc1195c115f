// RUN: qopt-opt %s --qopt-insert-quantization="rounding=stochastic" -split-input-file | FileCheck %s

/// Stochastic rounding: the seed comes from the argument marked {qopt.seed},
/// each point gets its own stream (0, 1, ... in the order the points are
/// inserted), and the step is Adam's step operand (no {qopt.step} argument
/// here). The weight's quantize is placed after the step is defined.

// CHECK-LABEL: func.func @adam_stochastic
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4xf32>, %[[W:[^:]*]]: tensor<4xf32>, %[[G:[^:]*]]: tensor<4xf32>, %{{[^:]*}}: tensor<4xf32>, %{{[^:]*}}: tensor<4xf32>, %[[SEED:[^:]*]]: i64 {qopt.seed})
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[T:.*]] = arith.addi %[[ONE]], %[[ONE]] : i64
// CHECK-NEXT: %[[WQ:.*]] = qopt.quantize %[[W]] to <bf16> rounding <stochastic> component <weight> seed %[[SEED]] step %[[T]] stream 0 :
// CHECK-NEXT: arith.mulf %[[X]], %[[WQ]]
// CHECK-NEXT: %[[GQ:.*]] = qopt.quantize %[[G]] to <bf16> rounding <stochastic> component <grad> seed %[[SEED]] step %[[T]] stream 1 :
// CHECK-NEXT: qopt.adam_update %[[W]], %[[GQ]]
// CHECK-NEXT: component <first_moment> seed %[[SEED]] step %[[T]] stream 3 :
// CHECK-NEXT: component <second_moment> seed %[[SEED]] step %[[T]] stream 2 :
func.func @adam_stochastic(%x: tensor<4xf32>, %w: tensor<4xf32>,
                           %g: tensor<4xf32>, %m: tensor<4xf32>,
                           %v: tensor<4xf32>, %seed: i64 {qopt.seed})
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %one = arith.constant 1 : i64
  %t = arith.addi %one, %one : i64
  %y = arith.mulf %x, %w : tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %y, %w1, %m1, %v1
      : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// Muon has no step operand: the step is the argument marked {qopt.step}.

// CHECK-LABEL: func.func @muon_stochastic
// CHECK-SAME: %[[SEED:[^:]*]]: i64 {qopt.seed}, %[[STEP:[^:]*]]: i64 {qopt.step})
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> component <weight> seed %{{.*}} step %[[STEP]]
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> component <grad> seed %{{.*}} step %[[STEP]]
// CHECK: qopt.muon_update
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> component <first_moment> seed %{{.*}} step %[[STEP]]
func.func @muon_stochastic(%w: tensor<4x4xf32>, %g: tensor<4x4xf32>,
                           %b: tensor<4x4xf32>, %seed: i64 {qopt.seed},
                           %step: i64 {qopt.step})
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %y = arith.addf %w, %w : tensor<4x4xf32>
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<4x4xf32>
  return %y, %w1, %b1 : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}
