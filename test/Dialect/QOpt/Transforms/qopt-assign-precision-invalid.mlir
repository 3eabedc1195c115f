// RUN: qopt-opt %s --qopt-assign-precision -split-input-file -verify-diagnostics

/// One case per guard of --qopt-assign-precision (no iterations option: T
/// comes from attributes here).

// expected-error @+1 {{needs the planned number of iterations: pass iterations=<T> or set qopt.iterations on the function or module}}
func.func @negative_no_iterations(%w: tensor<4xf32>) -> tensor<4xf32> {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4xf32>
  return %wq : tensor<4xf32>
}

// -----

// expected-error @+1 {{qopt.iterations must be at least 1, got 0}}
func.func @negative_zero_iterations(%w: tensor<4xf32>) -> tensor<4xf32>
    attributes {qopt.iterations = 0 : i64} {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4xf32>
  return %wq : tensor<4xf32>
}

// -----

func.func @negative_no_update(%w: tensor<4xf32>) -> tensor<4xf32>
    attributes {qopt.iterations = 100 : i64} {
  // expected-error @+1 {{is tagged weight but feeds no qopt.adam_update or qopt.muon_update in its function, so no convergence theorem applies}}
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4xf32>
  return %wq : tensor<4xf32>
}

// -----

func.func @negative_muon_second_moment(%w: tensor<4x4xf32>,
                                       %g: tensor<4x4xf32>,
                                       %b: tensor<4x4xf32>)
    -> tensor<4x4xf32> attributes {qopt.iterations = 100 : i64} {
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<4x4xf32>
  // expected-error @+1 {{is tagged second_moment but reads a result of qopt.muon_update, which has no second moment}}
  %bq = qopt.quantize %b1 to <bf16> component <second_moment>
      : tensor<4x4xf32>
  return %bq : tensor<4x4xf32>
}

// -----

func.func @negative_adam_and_muon(%w: tensor<4x4xf32>, %g: tensor<4x4xf32>,
                                  %b: tensor<4x4xf32>, %t: i64)
    -> (tensor<4x4xf32>, tensor<4x4xf32>)
    attributes {qopt.iterations = 100 : i64} {
  // expected-error @+1 {{is tagged grad and feeds both an Adam and a Muon update; their theorems disagree}}
  %gq = qopt.quantize %g to <bf16> component <grad> : tensor<4x4xf32>
  %w1, %b1 = qopt.muon_update %w, %gq, %b {lr = 2.0e-2 : f32}
      : tensor<4x4xf32>
  %w2, %m2, %v2 = qopt.adam_update %b, %gq, %b, %b, %t {lr = 1.0e-3 : f32}
      : tensor<4x4xf32>
  return %w1, %w2 : tensor<4x4xf32>, tensor<4x4xf32>
}
