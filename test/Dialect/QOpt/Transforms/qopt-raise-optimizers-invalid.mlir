// RUN: qopt-opt %s --qopt-raise-optimizers="tolerance=-1.0" -verify-diagnostics
// RUN: qopt-opt %s --qopt-raise-optimizers="tolerance=1.5" -verify-diagnostics

/// A tolerance outside [0, 1) is an error, never a silent default.

// expected-error-re @below {{qopt-raise-optimizers: tolerance must lie in [0, 1), got {{-1|1.5}}}}
module {
  func.func @f(%w: tensor<4xf32>) -> tensor<4xf32> {
    return %w : tensor<4xf32>
  }
}
