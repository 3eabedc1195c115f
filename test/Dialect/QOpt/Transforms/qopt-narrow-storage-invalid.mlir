// RUN: qopt-opt %s --qopt-narrow-storage -split-input-file -verify-diagnostics
// RUN: not qopt-opt %s --qopt-narrow-storage="containers=moment=f16" 2>&1 | FileCheck %s --check-prefix=BAD-ENTRY
// RUN: not qopt-opt %s --qopt-narrow-storage="containers=second_moment=f64" 2>&1 | FileCheck %s --check-prefix=BAD-TYPE
// RUN: not qopt-opt %s --qopt-narrow-storage="master-format=e9m2" 2>&1 | FileCheck %s --check-prefix=BAD-MASTER

/// One case per guard of --qopt-narrow-storage.
// BAD-ENTRY: bad containers entry 'moment=f16': expected component=type
// BAD-TYPE: bad container type 'f64' in 'second_moment=f64': expected bf16, f16, an f8 type, i8 or i16
// BAD-MASTER: bad master-format 'e9m2'

/// A state of dynamic shape: the runner and the report size buffers from
/// the type.
// expected-error @+1 {{qopt-narrow-storage: state argument #1 (first_moment) has the dynamic shape 'tensor<?xf32>'; narrow storage needs static shapes}}
func.func @negative_dynamic(%w: tensor<?xf32>, %m: tensor<?xf32>, %v: tensor<?xf32>,
                            %g: tensor<?xf32>, %t: i64)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<?xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<?xf32>
  return %w1, %mq, %v1 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

/// Another reader of the old moment would need it in f32.
func.func @negative_other_reader(%w: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>,
                                 %g: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<4xf32>
  // expected-error @+1 {{qopt-narrow-storage: state argument #1 (first_moment) is also used by 'arith.addf'; only the optimizer update may read narrow state (any other reader would need an f32 copy)}}
  %sum = arith.addf %m, %g : tensor<4xf32>
  return %w1, %mq, %v1, %sum : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// The quantized moment is returned and also read by another op.
func.func @negative_quantized_reused(%w: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>,
                                     %g: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  // expected-error @+1 {{qopt-narrow-storage: the quantized second_moment is used by an op other than the return; storing it narrow would need an f32 copy}}
  %vq = qopt.quantize %v1 to <bf16> component <second_moment> : tensor<4xf32>
  %twice = arith.addf %vq, %vq : tensor<4xf32>
  return %w1, %m1, %vq, %twice : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// The new moment is read unquantized besides its quantization.
func.func @negative_unquantized_reader(%w: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>,
                                       %g: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{qopt-narrow-storage: the new first_moment has uses besides its qopt.quantize; storing it narrow would need an f32 copy}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<4xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<4xf32>
  return %w1, %mq, %v1, %m1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}


// -----

/// One argument as both moments: it would be decoded twice (a qopt.decode
/// of a qopt.decode) and stored back through two results.
func.func @negative_one_argument_both_moments(%w: tensor<4xf32>, %g: tensor<4xf32>, %v: tensor<4xf32>,
                                              %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{qopt-narrow-storage: state argument #2 is both the first_moment and the second_moment; narrow storage decodes a state argument once and stores it back through one result, so each state needs an argument of its own}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %v, %v, %t {lr = 1.0e-2 : f32} : tensor<4xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<4xf32>
  %vq = qopt.quantize %v1 to <bf16> component <second_moment> : tensor<4xf32>
  return %w1, %mq, %vq : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
