// RUN: qopt-opt %s --qopt-narrow-storage="master-format=tf32" -verify-diagnostics

/// A master format of more than 16 bits saves nothing.
// expected-error @+1 {{qopt-narrow-storage: master-format #qopt.format<tf32> has more than 16 bits; nothing to narrow}}
func.func @wide_master(%w: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64, %s: i64 {qopt.seed})
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  return %w1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
