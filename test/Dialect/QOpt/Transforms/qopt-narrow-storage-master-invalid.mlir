// RUN: qopt-opt %s --qopt-narrow-storage="master-format=bf16" -split-input-file -verify-diagnostics

/// master-format rounds stochastically: it needs the seed.
// expected-error @+1 {{qopt-narrow-storage: master-format rounds the weights stochastically and needs i64 arguments marked {qopt.seed} and {qopt.step}}}
func.func @no_seed(%w: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  return %w1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// The new weight must only be returned (another reader would see a
/// different value than the stored one).
func.func @weight_reused(%w: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64, %s: i64 {qopt.seed})
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{qopt-narrow-storage: master-format needs the new weight to be used only by the return}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  %twice = arith.addf %w1, %w1 : tensor<4xf32>
  return %w1, %m1, %v1, %twice : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}


// -----

/// Two updates of one weight: the argument would be decoded twice (a
/// qopt.decode of a qopt.decode) and stored back through two results.
func.func @two_updates_of_one_weight(%w: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>,
                                     %v: tensor<4xf32>, %t: i64 {qopt.seed}, %s: i64 {qopt.step})
    -> (tensor<4xf32>, tensor<4xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  // expected-error @+1 {{qopt-narrow-storage: state argument #0 is the weight of two optimizer updates; narrow storage decodes a state argument once and stores it back through one result, so each state needs an argument of its own}}
  %w2, %m2, %v2 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  return %w1, %w2 : tensor<4xf32>, tensor<4xf32>
}
