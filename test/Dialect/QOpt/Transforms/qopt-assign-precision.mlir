// RUN: qopt-opt %s --qopt-assign-precision="iterations=100" | FileCheck %s --check-prefix=T1E2
// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000" | FileCheck %s --check-prefix=T1E4
// RUN: qopt-opt %s --assign-precision="iterations=10000" | FileCheck %s --check-prefix=T1E4
// RUN: qopt-opt %s --qopt-assign-precision="iterations=1000000" | FileCheck %s --check-prefix=T1E6
// RUN: qopt-opt %s --qopt-assign-precision="iterations=100 snap=hardware" | FileCheck %s --check-prefix=HW1E2
// RUN: qopt-opt %s --qopt-assign-precision="iterations=1000 snap=hardware" | FileCheck %s --check-prefix=HW1E3
// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000 snap=hardware" | FileCheck %s --check-prefix=HW1E4
// RUN: qopt-opt %s --qopt-assign-precision="iterations=1000000 snap=hardware" | FileCheck %s --check-prefix=HW1E6
// RUN: qopt-opt %s --qopt-assign-precision="iterations=100 snap=hardware min-exponent-bits=8" | FileCheck %s --check-prefix=WIDE
// RUN: qopt-opt %s --qopt-assign-precision | FileCheck %s --check-prefix=ATTR
// RUN: qopt-opt %s --qopt-assign-precision="snap=hardware" | FileCheck %s --check-prefix=ATTR-HW
// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000 calibration-file=%S/Inputs/calibration.json" | FileCheck %s --check-prefix=CAL
// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000 calibration-file=%S/Inputs/calibration.json adam-c-grad=-4" | FileCheck %s --check-prefix=CAL-OPT
// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000" --qopt-assign-precision="iterations=10000" | FileCheck %s --check-prefix=T1E4

/// Mantissa bits from the theorems with the default constants (measured
/// by qopt-calibrate, docs/Calibration.md: Adam c = -6.9 weight, -5.9 grad
/// and first_moment, -13.9 second_moment; Muon c = 4.1 weight, -1.9 grad
/// and momentum), nearest-even rounding unless the op says otherwise:
///   Adam W:  M = ceil(2 log2 T - 6.9) - 1    V: ceil(2 log2 T - 13.9) - 1
///   Adam G, M: M = ceil(log2 T - 5.9) - 1
///   Muon W:  M = ceil(0.5 log2 T + 4.1) - 1  G, M: ceil(0.5 log2 T - 1.9) - 1
///   (no -1 under toward_zero and stochastic), clamped to [0, 23].
/// For example at T = 10^4: Adam W 19, G 7 (bf16), M 7, V 12; Muon W 10
/// (tf32). snap=none keeps 8 exponent bits: e8m<M> (e8m7 prints as bf16,
/// e8m10 as tf32, e8m23 as fp32). The module plans T = 10^4 unless the
/// option says otherwise.

module attributes {qopt.iterations = 10000 : i64} {

/// min-exponent-bits=8 skips fp8 and fp16: the 1-bit gradient gets bf16.
/// The file's c = -3 for Adam's gradient: M = ceil(13.29 - 3) - 1 = 10; an
/// adam-c-grad other than its default wins over the file (-4: M = 9). An
/// option equal to its default does not hide the file, so that C++ callers,
/// whose options struct sets every field, behave the same.
// T1E2-LABEL: func.func @adam
// T1E2: qopt.quantize %{{.*}} to <e8m6> component <weight>
// T1E2: qopt.quantize %{{.*}} to <e8m0> component <grad>
// T1E2: qopt.quantize %{{.*}} to <e8m0> component <first_moment>
// T1E2: qopt.quantize %{{.*}} to <e8m0> component <second_moment>
// T1E4-LABEL: func.func @adam
// T1E4: qopt.quantize %{{.*}} to <e8m19> component <weight>
// T1E4: qopt.quantize %{{.*}} to <bf16> component <grad>
// T1E4: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// T1E4: qopt.quantize %{{.*}} to <e8m12> component <second_moment>
// T1E6-LABEL: func.func @adam
// T1E6: qopt.quantize %{{.*}} to <fp32> component <weight>
// T1E6: qopt.quantize %{{.*}} to <e8m14> component <grad>
// T1E6: qopt.quantize %{{.*}} to <e8m14> component <first_moment>
// T1E6: qopt.quantize %{{.*}} to <fp32> component <second_moment>
// HW1E2-LABEL: func.func @adam
// HW1E2: qopt.quantize %{{.*}} to <bf16> component <weight>
// HW1E2: qopt.quantize %{{.*}} to <fp8_e5m2> component <grad>
// HW1E2: qopt.quantize %{{.*}} to <fp8_e5m2> component <first_moment>
// HW1E2: qopt.quantize %{{.*}} to <fp8_e5m2> component <second_moment>
// HW1E3-LABEL: func.func @adam
// HW1E3: qopt.quantize %{{.*}} to <fp32> component <weight>
// HW1E3: qopt.quantize %{{.*}} to <bf16> component <grad>
// HW1E3: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E3: qopt.quantize %{{.*}} to <bf16> component <second_moment>
// HW1E4-LABEL: func.func @adam
// HW1E4: qopt.quantize %{{.*}} to <fp32> component <weight>
// HW1E4: qopt.quantize %{{.*}} to <bf16> component <grad>
// HW1E4: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E4: qopt.quantize %{{.*}} to <fp32> component <second_moment>
// HW1E6-LABEL: func.func @adam
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <weight>
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <grad>
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <first_moment>
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <second_moment>
// WIDE-LABEL: func.func @adam
// WIDE: qopt.quantize %{{.*}} to <bf16> component <weight>
// WIDE: qopt.quantize %{{.*}} to <bf16> component <grad>
// WIDE: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// WIDE: qopt.quantize %{{.*}} to <bf16> component <second_moment>
// ATTR-LABEL: func.func @adam
// ATTR: qopt.quantize %{{.*}} to <e8m19> component <weight>
// ATTR: qopt.quantize %{{.*}} to <bf16> component <grad>
// ATTR: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// ATTR: qopt.quantize %{{.*}} to <e8m12> component <second_moment>
// ATTR-HW-LABEL: func.func @adam
// ATTR-HW: qopt.quantize %{{.*}} to <fp32> component <weight>
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> component <grad>
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// ATTR-HW: qopt.quantize %{{.*}} to <fp32> component <second_moment>
// CAL-LABEL: func.func @adam
// CAL: qopt.quantize %{{.*}} to <e8m19> component <weight>
// CAL: qopt.quantize %{{.*}} to <tf32> component <grad>
// CAL: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// CAL: qopt.quantize %{{.*}} to <e8m12> component <second_moment>
// CAL-OPT-LABEL: func.func @adam
// CAL-OPT: qopt.quantize %{{.*}} to <e8m19> component <weight>
// CAL-OPT: qopt.quantize %{{.*}} to <e8m9> component <grad>
// CAL-OPT: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// CAL-OPT: qopt.quantize %{{.*}} to <e8m12> component <second_moment>
func.func @adam(%x: tensor<4xf32>, %w: tensor<4xf32>, %g: tensor<4xf32>,
                %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4xf32>
  %y = arith.mulf %x, %wq : tensor<4xf32>
  %gq = qopt.quantize %g to <bf16> component <grad> : tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<4xf32>
  %vq = qopt.quantize %v1 to <bf16> component <second_moment> : tensor<4xf32>
  return %y, %w1, %mq, %vq
      : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

/// Muon: the gradient rounds toward zero, so it needs one bit more than the
/// nearest-even weight and momentum.

/// T = 1000: Muon's weight 0.5 log2 T + 4.1 = 9.08, 9 bits nearest (fp16);
/// its gradient 3.08, 4 bits toward zero (bf16); its momentum 3 bits nearest
/// (fp8_e4m3).
// T1E2-LABEL: func.func @muon
// T1E2: qopt.quantize %{{.*}} to <bf16> component <weight>
// T1E2: qopt.quantize %{{.*}} to <e8m2> rounding <toward_zero> component <grad>
// T1E2: qopt.quantize %{{.*}} to <e8m1> component <first_moment>
// T1E4-LABEL: func.func @muon
// T1E4: qopt.quantize %{{.*}} to <tf32> component <weight>
// T1E4: qopt.quantize %{{.*}} to <e8m5> rounding <toward_zero> component <grad>
// T1E4: qopt.quantize %{{.*}} to <e8m4> component <first_moment>
// T1E6-LABEL: func.func @muon
// T1E6: qopt.quantize %{{.*}} to <e8m14> component <weight>
// T1E6: qopt.quantize %{{.*}} to <e8m9> rounding <toward_zero> component <grad>
// T1E6: qopt.quantize %{{.*}} to <e8m8> component <first_moment>
// HW1E2-LABEL: func.func @muon
// HW1E2: qopt.quantize %{{.*}} to <bf16> component <weight>
// HW1E2: qopt.quantize %{{.*}} to <fp8_e5m2> rounding <toward_zero> component <grad>
// HW1E2: qopt.quantize %{{.*}} to <fp8_e5m2> component <first_moment>
// HW1E3-LABEL: func.func @muon
// HW1E3: qopt.quantize %{{.*}} to <fp16> component <weight>
// HW1E3: qopt.quantize %{{.*}} to <bf16> rounding <toward_zero> component <grad>
// HW1E3: qopt.quantize %{{.*}} to <fp8_e4m3> component <first_moment>
// HW1E4-LABEL: func.func @muon
// HW1E4: qopt.quantize %{{.*}} to <fp16> component <weight>
// HW1E4: qopt.quantize %{{.*}} to <bf16> rounding <toward_zero> component <grad>
// HW1E4: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E6-LABEL: func.func @muon
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <weight>
// HW1E6: qopt.quantize %{{.*}} to <fp16> rounding <toward_zero> component <grad>
// HW1E6: qopt.quantize %{{.*}} to <fp16> component <first_moment>
// WIDE-LABEL: func.func @muon
// WIDE: qopt.quantize %{{.*}} to <bf16> component <weight>
// WIDE: qopt.quantize %{{.*}} to <bf16> rounding <toward_zero> component <grad>
// WIDE: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// ATTR-LABEL: func.func @muon
// ATTR: qopt.quantize %{{.*}} to <tf32> component <weight>
// ATTR: qopt.quantize %{{.*}} to <e8m5> rounding <toward_zero> component <grad>
// ATTR: qopt.quantize %{{.*}} to <e8m4> component <first_moment>
// ATTR-HW-LABEL: func.func @muon
// ATTR-HW: qopt.quantize %{{.*}} to <fp16> component <weight>
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> rounding <toward_zero> component <grad>
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// CAL-LABEL: func.func @muon
// CAL: qopt.quantize %{{.*}} to <e8m6> component <weight>
// CAL: qopt.quantize %{{.*}} to <e8m5> rounding <toward_zero> component <grad>
// CAL: qopt.quantize %{{.*}} to <e8m4> component <first_moment>
// CAL-OPT-LABEL: func.func @muon
// CAL-OPT: qopt.quantize %{{.*}} to <e8m6> component <weight>
// CAL-OPT: qopt.quantize %{{.*}} to <e8m5> rounding <toward_zero> component <grad>
// CAL-OPT: qopt.quantize %{{.*}} to <e8m4> component <first_moment>
func.func @muon(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>,
                %g: tensor<4x3xf32>, %b: tensor<4x3xf32>)
    -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4x3xf32>
  %y = arith.addf %wq, %wq : tensor<4x3xf32>
  %gq = qopt.quantize %g to <bf16> rounding <toward_zero> component <grad>
      : tensor<4x3xf32>
  %w1, %b1 = qopt.muon_update %w, %gq, %b {lr = 2.0e-2 : f32}
      : tensor<4x3xf32>
  %bq = qopt.quantize %b1 to <bf16> component <first_moment>
      : tensor<4x3xf32>
  return %y, %w1, %bq : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

/// The function's own T (100) beats the module's (10^4); the option beats
/// both. Its qopt.min_exponent_bits = 8 forbids fp8 and fp16 under
/// snap=hardware: 1 bit gives bf16 instead of fp8_e5m2.

// T1E2-LABEL: func.func @own_iterations
// T1E2: qopt.quantize %{{.*}} to <bf16> component <weight>
// T1E2: qopt.quantize %{{.*}} to <e8m1> component <grad>
// T1E2: qopt.quantize %{{.*}} to <e8m1> component <first_moment>
// T1E4-LABEL: func.func @own_iterations
// T1E4: qopt.quantize %{{.*}} to <tf32> component <weight>
// T1E4: qopt.quantize %{{.*}} to <e8m4> component <grad>
// T1E4: qopt.quantize %{{.*}} to <e8m4> component <first_moment>
// T1E6-LABEL: func.func @own_iterations
// T1E6: qopt.quantize %{{.*}} to <e8m14> component <weight>
// T1E6: qopt.quantize %{{.*}} to <e8m8> component <grad>
// T1E6: qopt.quantize %{{.*}} to <e8m8> component <first_moment>
// HW1E2-LABEL: func.func @own_iterations
// HW1E2: qopt.quantize %{{.*}} to <bf16> component <weight>
// HW1E2: qopt.quantize %{{.*}} to <bf16> component <grad>
// HW1E2: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E3-LABEL: func.func @own_iterations
// HW1E3: qopt.quantize %{{.*}} to <fp32> component <weight>
// HW1E3: qopt.quantize %{{.*}} to <bf16> component <grad>
// HW1E3: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E4-LABEL: func.func @own_iterations
// HW1E4: qopt.quantize %{{.*}} to <fp32> component <weight>
// HW1E4: qopt.quantize %{{.*}} to <bf16> component <grad>
// HW1E4: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E6-LABEL: func.func @own_iterations
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <weight>
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <grad>
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <first_moment>
// WIDE-LABEL: func.func @own_iterations
// WIDE: qopt.quantize %{{.*}} to <bf16> component <weight>
// WIDE: qopt.quantize %{{.*}} to <bf16> component <grad>
// WIDE: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// ATTR-LABEL: func.func @own_iterations
// ATTR: qopt.quantize %{{.*}} to <bf16> component <weight>
// ATTR: qopt.quantize %{{.*}} to <e8m1> component <grad>
// ATTR: qopt.quantize %{{.*}} to <e8m1> component <first_moment>
// ATTR-HW-LABEL: func.func @own_iterations
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> component <weight>
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> component <grad>
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// CAL-LABEL: func.func @own_iterations
// CAL: qopt.quantize %{{.*}} to <e8m6> component <weight>
// CAL: qopt.quantize %{{.*}} to <e8m4> component <grad>
// CAL: qopt.quantize %{{.*}} to <e8m4> component <first_moment>
// CAL-OPT-LABEL: func.func @own_iterations
// CAL-OPT: qopt.quantize %{{.*}} to <e8m6> component <weight>
// CAL-OPT: qopt.quantize %{{.*}} to <e8m4> component <grad>
// CAL-OPT: qopt.quantize %{{.*}} to <e8m4> component <first_moment>
func.func @own_iterations(%w: tensor<4x4xf32>, %g: tensor<4x4xf32>,
                          %b: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>)
    attributes {qopt.iterations = 100 : i64, qopt.min_exponent_bits = 8 : i64} {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4x4xf32>
  %y = arith.addf %wq, %wq : tensor<4x4xf32>
  %gq = qopt.quantize %g to <bf16> component <grad> : tensor<4x4xf32>
  %w1, %b1 = qopt.muon_update %w, %gq, %b {lr = 2.0e-2 : f32}
      : tensor<4x4xf32>
  %bq = qopt.quantize %b1 to <bf16> component <first_moment>
      : tensor<4x4xf32>
  return %y, %w1, %bq : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

/// Stochastic rounding costs a bit like rounding toward zero. Untagged
/// quantizes are not the policy's business.

// T1E2-LABEL: func.func @adam_stochastic_and_untagged
// T1E2: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// T1E2: qopt.quantize %{{.*}} to <e8m1> rounding <stochastic> component <grad>
// T1E2: qopt.quantize %{{.*}} to <e8m0> component <first_moment>
// T1E4-LABEL: func.func @adam_stochastic_and_untagged
// T1E4: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// T1E4: qopt.quantize %{{.*}} to <e8m8> rounding <stochastic> component <grad>
// T1E4: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// T1E6-LABEL: func.func @adam_stochastic_and_untagged
// T1E6: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// T1E6: qopt.quantize %{{.*}} to <e8m15> rounding <stochastic> component <grad>
// T1E6: qopt.quantize %{{.*}} to <e8m14> component <first_moment>
// HW1E2-LABEL: func.func @adam_stochastic_and_untagged
// HW1E2: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// HW1E2: qopt.quantize %{{.*}} to <fp8_e5m2> rounding <stochastic> component <grad>
// HW1E2: qopt.quantize %{{.*}} to <fp8_e5m2> component <first_moment>
// HW1E3-LABEL: func.func @adam_stochastic_and_untagged
// HW1E3: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// HW1E3: qopt.quantize %{{.*}} to <bf16> rounding <stochastic> component <grad>
// HW1E3: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E4-LABEL: func.func @adam_stochastic_and_untagged
// HW1E4: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// HW1E4: qopt.quantize %{{.*}} to <fp16> rounding <stochastic> component <grad>
// HW1E4: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// HW1E6-LABEL: func.func @adam_stochastic_and_untagged
// HW1E6: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// HW1E6: qopt.quantize %{{.*}} to <fp32> rounding <stochastic> component <grad>
// HW1E6: qopt.quantize %{{.*}} to <fp32> component <first_moment>
// WIDE-LABEL: func.func @adam_stochastic_and_untagged
// WIDE: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// WIDE: qopt.quantize %{{.*}} to <bf16> rounding <stochastic> component <grad>
// WIDE: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// ATTR-LABEL: func.func @adam_stochastic_and_untagged
// ATTR: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// ATTR: qopt.quantize %{{.*}} to <e8m8> rounding <stochastic> component <grad>
// ATTR: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// ATTR-HW-LABEL: func.func @adam_stochastic_and_untagged
// ATTR-HW: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// ATTR-HW: qopt.quantize %{{.*}} to <fp16> rounding <stochastic> component <grad>
// ATTR-HW: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// CAL-LABEL: func.func @adam_stochastic_and_untagged
// CAL: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// CAL: qopt.quantize %{{.*}} to <e8m11> rounding <stochastic> component <grad>
// CAL: qopt.quantize %{{.*}} to <bf16> component <first_moment>
// CAL-OPT-LABEL: func.func @adam_stochastic_and_untagged
// CAL-OPT: qopt.quantize %{{.*}} to <fp8_e4m3> : tensor<4xf32>
// CAL-OPT: qopt.quantize %{{.*}} to <tf32> rounding <stochastic> component <grad>
// CAL-OPT: qopt.quantize %{{.*}} to <bf16> component <first_moment>
func.func @adam_stochastic_and_untagged(%w: tensor<4xf32>, %g: tensor<4xf32>,
                                        %m: tensor<4xf32>, %v: tensor<4xf32>,
                                        %t: i64, %seed: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %u = qopt.quantize %w to <fp8_e4m3> : tensor<4xf32>
  %gq = qopt.quantize %g to <bf16> rounding <stochastic> component <grad>
      seed %seed step %t : tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<4xf32>
  return %u, %w1, %mq : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

}
