// RUN: qopt-opt %s --qopt-narrow-storage="quantized-weights" -verify-diagnostics

/// A public callee may have callers elsewhere that pass f32: its argument
/// type cannot change.
func.func @shared_forward(%w: tensor<4xf32>) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

func.func @step(%w: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4xf32>
  // expected-error @+1 {{qopt-narrow-storage: quantized-weights passes the Q_W copy narrow, which needs a private callee with a body called from this one place; @shared_forward is not}}
  %g = call @shared_forward(%wq) : (tensor<4xf32>) -> tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  return %w1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
