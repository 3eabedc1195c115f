// RUN: qopt-opt %s --qopt-narrow-storage="containers=second_moment=f8E5M2" -verify-diagnostics

/// A storage option that contradicts the format: e8m3 does not fit f8E5M2.
func.func @forced_container_too_small(%w: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>,
                                      %g: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  // expected-error @+1 {{qopt-narrow-storage: containers option asks for 'f8E5M2' for the second_moment, which cannot hold every value of #qopt.format<e8m3> exactly (smallest exact container: 'bf16')}}
  %vq = qopt.quantize %v1 to <e8m3> component <second_moment> : tensor<4xf32>
  return %w1, %m1, %vq : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
