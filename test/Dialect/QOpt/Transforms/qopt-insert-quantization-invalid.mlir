// RUN: qopt-opt %s --qopt-insert-quantization="rounding=stochastic" -split-input-file -verify-diagnostics

/// One case per guard of --qopt-insert-quantization. The guards on weights
/// (several updates, calls) do not depend on the rounding; stochastic
/// rounding adds the seed and step guards, so the file runs with it.

/// Two updates of one weight: which one owns the master copy is unclear.
func.func @negative_two_updates(%w: tensor<4xf32>, %g: tensor<4xf32>,
                                %m: tensor<4xf32>, %v: tensor<4xf32>,
                                %t: i64 {qopt.seed})
    -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-note @+1 {{other update here}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  // expected-error @+1 {{updates a weight that another optimizer op also updates; qopt-insert-quantization expects one master weight per update}}
  %w2, %m2, %v2 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %w1, %w2 : tensor<4xf32>, tensor<4xf32>
}

// -----

/// A callee without a body may update the weight or read it: unknowable.
func.func private @opaque(tensor<4xf32>) -> tensor<4xf32>

func.func @negative_call_without_body(%w: tensor<4xf32>, %m: tensor<4xf32>,
                                      %v: tensor<4xf32>, %t: i64 {qopt.seed})
    -> tensor<4xf32> {
  // expected-error @+1 {{receives a weight updated by a qopt optimizer op, but its callee has no body to inspect; qopt-insert-quantization cannot tell whether it must see the quantized or the master weight (inline the call first)}}
  %g = func.call @opaque(%w) : (tensor<4xf32>) -> tensor<4xf32>
  // expected-note @+1 {{weight updated here}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %w1 : tensor<4xf32>
}

// -----

/// A callee that updates parameters (here through a further call) would see
/// a quantized master weight.
func.func private @apply(%w: tensor<4xf32>, %g: tensor<4xf32>,
                         %m: tensor<4xf32>, %v: tensor<4xf32>,
                         %t: i64 {qopt.seed})
    -> tensor<4xf32> {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %w1 : tensor<4xf32>
}

func.func private @apply_indirect(%w: tensor<4xf32>, %g: tensor<4xf32>,
                                  %m: tensor<4xf32>, %v: tensor<4xf32>,
                                  %t: i64) -> tensor<4xf32> {
  %w1 = func.call @apply(%w, %g, %m, %v, %t)
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, i64)
      -> tensor<4xf32>
  return %w1 : tensor<4xf32>
}

func.func @negative_call_that_updates(%w: tensor<4xf32>, %g: tensor<4xf32>,
                                      %m: tensor<4xf32>, %v: tensor<4xf32>,
                                      %t: i64 {qopt.seed}) -> tensor<4xf32> {
  // expected-error @+1 {{receives a weight updated by a qopt optimizer op, but its callee updates parameters itself}}
  %w2 = func.call @apply_indirect(%w, %g, %m, %v, %t)
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, i64)
      -> tensor<4xf32>
  // expected-note @+1 {{weight updated here}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %w1 : tensor<4xf32>
}

// -----

/// Stochastic rounding without a seed argument.
func.func @negative_stochastic_without_seed(%w: tensor<4xf32>,
                                            %g: tensor<4xf32>,
                                            %m: tensor<4xf32>,
                                            %v: tensor<4xf32>, %t: i64)
    -> tensor<4xf32> {
  %y = arith.addf %w, %w : tensor<4xf32>
  // expected-error @+1 {{needs an i64 argument of 'negative_stochastic_without_seed' marked {qopt.seed} to seed the stochastic rounding of its quantization points}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

/// Muon has no step operand to fall back on.
func.func @negative_muon_stochastic_without_step(%w: tensor<4x4xf32>,
                                                 %g: tensor<4x4xf32>,
                                                 %b: tensor<4x4xf32>,
                                                 %seed: i64 {qopt.seed})
    -> tensor<4x4xf32> {
  // expected-error @+1 {{needs an i64 argument of 'negative_muon_stochastic_without_step' marked {qopt.step} as the step of stochastic rounding (only Adam has a step operand to fall back on)}}
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<4x4xf32>
  return %w1 : tensor<4x4xf32>
}

// -----

/// Adam's step is computed after a use of the weight: the stochastic weight
/// quantize cannot precede that use.
func.func @negative_step_after_weight_use(%w: tensor<4xf32>,
                                          %g: tensor<4xf32>,
                                          %m: tensor<4xf32>,
                                          %v: tensor<4xf32>,
                                          %seed: i64 {qopt.seed})
    -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{uses a value that must be quantized, but the quantize (with its stochastic step) cannot be placed before this use; mark an i64 argument {qopt.step}}}
  %y = arith.addf %w, %w : tensor<4xf32>
  %one = arith.constant 1 : i64
  // expected-note @+1 {{optimizer update here}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %one {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  return %y, %w1 : tensor<4xf32>, tensor<4xf32>
}

// -----

/// A module without optimizer ops: a warning, not silence.
// expected-warning @+1 {{qopt-insert-quantization: no qopt.adam_update or qopt.muon_update in the module, so nothing was quantized; an optimizer written as plain linalg/arith must be raised to qopt ops first}}
module {
  func.func @sgd_by_hand(%w: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
    %w1 = arith.subf %w, %g : tensor<4xf32>
    return %w1 : tensor<4xf32>
  }
}
