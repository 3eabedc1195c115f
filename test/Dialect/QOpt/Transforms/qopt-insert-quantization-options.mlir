// RUN: qopt-opt %s --qopt-insert-quantization="format=e9m3" -verify-diagnostics
// RUN: qopt-opt %s --qopt-insert-quantization="rounding=up" -verify-diagnostics
// RUN: qopt-opt %s --qopt-insert-quantization="components=weight,bias" -verify-diagnostics

/// Invalid option values are errors, never silent defaults. Each RUN line
/// triggers exactly one of the alternatives below.

// expected-error-re @below {{{{qopt-insert-quantization: (invalid format 'e9m3': exponent bits must be in \[2, 8\], got 9|invalid rounding 'up' \(expected nearest_even, toward_zero or stochastic\)|unknown component 'bias' \(expected weight, grad, first_moment or second_moment\))}}}}
module {
  func.func @f(%w: tensor<4xf32>) -> tensor<4xf32> {
    return %w : tensor<4xf32>
  }
}
