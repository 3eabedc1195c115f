// RUN: qopt-opt %s --qopt-insert-quantization -split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-insert-quantization --qopt-insert-quantization -split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-insert-quantization="components=weight" -split-input-file | FileCheck %s --check-prefix=ONLY-W
// RUN: qopt-opt %s --qopt-insert-quantization="components=grad" -split-input-file | FileCheck %s --check-prefix=ONLY-G
// RUN: qopt-opt %s --qopt-insert-quantization="components=first_moment" -split-input-file | FileCheck %s --check-prefix=ONLY-M
// RUN: qopt-opt %s --qopt-insert-quantization="components=second_moment" -split-input-file | FileCheck %s --check-prefix=ONLY-V
// RUN: qopt-opt %s --qopt-insert-quantization="format=fp8_e4m3 rounding=toward_zero" -split-input-file | FileCheck %s --check-prefix=FMT

/// The four boundaries of an Adam step: the forward pass reads Q_W(w), the
/// update gets Q_G(g) and keeps the master w, the stored m' and v' are
/// quantized. The second RUN line checks that a second run adds nothing.

// CHECK-LABEL: func.func @adam_step
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4xf32>, %[[W:[^:]*]]: tensor<4xf32>, %[[G:[^:]*]]: tensor<4xf32>, %[[M:[^:]*]]: tensor<4xf32>, %[[V:[^:]*]]: tensor<4xf32>, %[[T:[^:]*]]: i64)
// CHECK-NEXT: %[[WQ:.*]] = qopt.quantize %[[W]] to <bf16> component <weight> : tensor<4xf32>
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[X]], %[[WQ]] : tensor<4xf32>
// CHECK-NEXT: %[[GQ:.*]] = qopt.quantize %[[G]] to <bf16> component <grad> : tensor<4xf32>
// CHECK-NEXT: %[[NW:[^,]*]], %[[NM:[^,]*]], %[[NV:[^ ]*]] = qopt.adam_update %[[W]], %[[GQ]], %[[M]], %[[V]], %[[T]]
// CHECK-NEXT: %[[MQ:.*]] = qopt.quantize %[[NM]] to <bf16> component <first_moment> : tensor<4xf32>
// CHECK-NEXT: %[[VQ:.*]] = qopt.quantize %[[NV]] to <bf16> component <second_moment> : tensor<4xf32>
// CHECK-NEXT: return %[[Y]], %[[NW]], %[[MQ]], %[[VQ]]

/// Ablations: one component at a time.
// ONLY-W-LABEL: func.func @adam_step
// ONLY-W: qopt.quantize %{{.*}} component <weight>
// ONLY-W-NOT: qopt.quantize
// ONLY-W: return

// ONLY-G-LABEL: func.func @adam_step
// ONLY-G-NOT: component <weight>
// ONLY-G: qopt.quantize %{{.*}} component <grad>
// ONLY-G-NOT: qopt.quantize
// ONLY-G: return

// ONLY-M-LABEL: func.func @adam_step
// ONLY-M-NOT: qopt.quantize
// ONLY-M: qopt.adam_update
// ONLY-M-NEXT: qopt.quantize %{{.*}} component <first_moment>
// ONLY-M-NOT: qopt.quantize
// ONLY-M: return

// ONLY-V-LABEL: func.func @adam_step
// ONLY-V-NOT: qopt.quantize
// ONLY-V: qopt.adam_update
// ONLY-V-NEXT: qopt.quantize %{{.*}} component <second_moment>
// ONLY-V-NOT: qopt.quantize
// ONLY-V: return

/// The format and rounding options reach every inserted op.
// FMT-LABEL: func.func @adam_step
// FMT-COUNT-2: qopt.quantize %{{.*}} to <fp8_e4m3> rounding <toward_zero> component
// FMT: qopt.adam_update
// FMT-COUNT-2: qopt.quantize %{{.*}} to <fp8_e4m3> rounding <toward_zero> component
func.func @adam_step(%x: tensor<4xf32>, %w: tensor<4xf32>, %g: tensor<4xf32>,
                     %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %y = arith.mulf %x, %w : tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %y, %w1, %m1, %v1
      : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// Muon: a matrix weight read by a matmul, a momentum buffer, no second
/// moment.

// CHECK-LABEL: func.func @muon_step
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x4xf32>, %[[W:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<4x3xf32>, %[[B:[^:]*]]: tensor<4x3xf32>)
// CHECK-NEXT: %[[WQ:.*]] = qopt.quantize %[[W]] to <bf16> component <weight> : tensor<4x3xf32>
// CHECK: linalg.matmul ins(%[[X]], %[[WQ]] : tensor<2x4xf32>, tensor<4x3xf32>)
// CHECK-NEXT: %[[GQ:.*]] = qopt.quantize %[[G]] to <bf16> component <grad> : tensor<4x3xf32>
// CHECK-NEXT: %[[NW:[^,]*]], %[[NB:[^ ]*]] = qopt.muon_update %[[W]], %[[GQ]], %[[B]]
// CHECK-NEXT: %[[BQ:.*]] = qopt.quantize %[[NB]] to <bf16> component <first_moment> : tensor<4x3xf32>
// CHECK-NOT: second_moment
// CHECK-NEXT: return %{{.*}}, %[[NW]], %[[BQ]]

// ONLY-V-LABEL: func.func @muon_step
// ONLY-V-NOT: qopt.quantize
// ONLY-V: return
func.func @muon_step(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>,
                     %g: tensor<4x3xf32>, %b: tensor<4x3xf32>)
    -> (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>)
      -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>)
      outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<4x3xf32>
  return %y, %w1, %b1 : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

/// A weight carried by a loop: the quantize goes at the top of the loop
/// body, where the iteration's weight is defined, and the loop yields the
/// master weight and the quantized moments.

// CHECK-LABEL: func.func @training_loop
// CHECK: scf.for %{{.*}} iter_args(%[[W:[^ ]*]] = %{{[^,]*}}, %[[M:[^ ]*]] = %{{[^,]*}}, %[[V:[^ ]*]] = %{{[^)]*}})
// CHECK-NEXT: %[[WQ:.*]] = qopt.quantize %[[W]] to <bf16> component <weight>
// CHECK-NEXT: %[[G:.*]] = arith.mulf %[[WQ]], %[[WQ]]
// CHECK: %[[GQ:.*]] = qopt.quantize %[[G]] to <bf16> component <grad>
// CHECK-NEXT: %[[NW:[^,]*]], %[[NM:[^,]*]], %[[NV:[^ ]*]] = qopt.adam_update %[[W]], %[[GQ]], %[[M]], %[[V]]
// CHECK-NEXT: %[[MQ:.*]] = qopt.quantize %[[NM]] {{.*}} component <first_moment>
// CHECK-NEXT: %[[VQ:.*]] = qopt.quantize %[[NV]] {{.*}} component <second_moment>
// CHECK-NEXT: scf.yield %[[NW]], %[[MQ]], %[[VQ]]
func.func @training_loop(%w0: tensor<4xf32>, %m0: tensor<4xf32>,
                         %v0: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %r:3 = scf.for %i = %c0 to %c10 step %c1
      iter_args(%w = %w0, %m = %m0, %v = %v0)
      -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
    %g = arith.mulf %w, %w : tensor<4xf32>
    %i64 = arith.index_cast %i : index to i64
    %one = arith.constant 1 : i64
    %t = arith.addi %i64, %one : i64
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-2 : f32}
        : tensor<4xf32>
    scf.yield %w1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
  return %r#0 : tensor<4xf32>
}

// -----

/// A weight passed to a function whose body updates nothing is read there
/// by forward/backward code: the call gets Q_W(w), the callee is unchanged.

// CHECK-LABEL: func.func private @forward
// CHECK-NOT: qopt.quantize
// CHECK: return
func.func private @forward(%x: tensor<4xf32>, %w: tensor<4xf32>)
    -> tensor<4xf32> {
  %y = arith.mulf %x, %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// CHECK-LABEL: func.func @step_with_call
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4xf32>, %[[W:[^:]*]]: tensor<4xf32>
// CHECK-NEXT: %[[WQ:.*]] = qopt.quantize %[[W]] to <bf16> component <weight>
// CHECK-NEXT: %[[G:.*]] = call @forward(%[[X]], %[[WQ]])
// CHECK-NEXT: %[[GQ:.*]] = qopt.quantize %[[G]] to <bf16> component <grad>
// CHECK-NEXT: qopt.adam_update %[[W]], %[[GQ]]
func.func @step_with_call(%x: tensor<4xf32>, %w: tensor<4xf32>,
                          %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %g = func.call @forward(%x, %w)
      : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %w1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// Only the gradient operand of the update is a boundary: another use of the
/// gradient (a norm for logging) keeps f32. Every use of a stored moment
/// reads the quantized value.

// CHECK-LABEL: func.func @grad_and_moment_other_uses
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xf32>, %[[G:[^:]*]]: tensor<4xf32>
// CHECK: %[[GG:.*]] = arith.mulf %[[G]], %[[G]]
// CHECK: %[[GQ:.*]] = qopt.quantize %[[G]] to <bf16> component <grad>
// CHECK-NEXT: %{{[^,]*}}, %[[NM:[^,]*]], %{{[^ ]*}} = qopt.adam_update %[[W]], %[[GQ]]
// CHECK-NEXT: %[[MQ:.*]] = qopt.quantize %[[NM]] to <bf16> component <first_moment>
// CHECK: arith.addf %[[MQ]], %[[MQ]]
// CHECK: return %[[GG]]
func.func @grad_and_moment_other_uses(%w: tensor<4xf32>, %g: tensor<4xf32>,
                                      %m: tensor<4xf32>, %v: tensor<4xf32>,
                                      %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %gg = arith.mulf %g, %g : tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  %twice = arith.addf %m1, %m1 : tensor<4xf32>
  return %gg, %w1, %twice, %v1
      : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// Boundaries quantized by hand (tagged) are recognised: nothing is added.

// CHECK-LABEL: func.func @already_quantized
// CHECK-COUNT-4: qopt.quantize
// CHECK-NOT: qopt.quantize
// CHECK: return
func.func @already_quantized(%x: tensor<4xf32>, %w: tensor<4xf32>,
                             %g: tensor<4xf32>, %m: tensor<4xf32>,
                             %v: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %wq = qopt.quantize %w to <fp16> component <weight> : tensor<4xf32>
  %y = arith.mulf %x, %wq : tensor<4xf32>
  %gq = qopt.quantize %g to <fp16> component <grad> : tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  %mq = qopt.quantize %m1 to <fp16> component <first_moment> : tensor<4xf32>
  %vq = qopt.quantize %v1 to <fp16> component <second_moment> : tensor<4xf32>
  return %y, %w1, %mq, %vq
      : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
