// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000 snap=hardware report-file=-" -o /dev/null | FileCheck %s --check-prefix=JSON
// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000 snap=hardware adam-c-weight=12" -verify-diagnostics

/// The report: a remark on every tagged op (checked under
/// -verify-diagnostics) and, with report-file, a JSON object per function
/// and (optimizer, component, rounding) with the memory of the stored state.
/// At T = 10^4 with the default constants: Adam weight 19 bits (fp32),
/// gradient and first moment 7 (bf16), second moment 12 (fp32); Muon
/// weight 10 (fp16). With c = 12, Adam's weight asks for 38 mantissa bits:
/// clamped to f32's 23 with a warning.

// JSON: "functions": [
// JSON-NEXT: {
// JSON-NEXT: "components": [
// JSON-NEXT: {
// JSON-NEXT: "bytes_per_element": 4,
// JSON-NEXT: "c": -6.9{{0*[0-9]*}},
// JSON-NEXT: "c_source": "the defaults",
// JSON-NEXT: "component": "weight",
// JSON-NEXT: "container": "f32",
// JSON-NEXT: "elements": 24,
// JSON-NEXT: "exp_bits": 8,
// JSON-NEXT: "f32_bytes": 96,
// JSON-NEXT: "format": "fp32",
// JSON-NEXT: "man_bits": 23,
// JSON-NEXT: "ops": 2,
// JSON-NEXT: "optimizer": "adam",
// JSON-NEXT: "optimizer_state": false,
// JSON-NEXT: "q": 1.19{{[0-9]*}}e-06,
// JSON-NEXT: "required_bits": 19.67{{[0-9]*}},
// JSON-NEXT: "rounding": "nearest_even",
// JSON-NEXT: "stored_bytes": 96,
// JSON-NEXT: "theory_mantissa_bits": 19
// JSON-NEXT: },
// JSON-NEXT: {
// JSON-NEXT: "bytes_per_element": 2,
// JSON-NEXT: "c": -5.9{{0*[0-9]*}},
// JSON-NEXT: "c_source": "the defaults",
// JSON-NEXT: "component": "grad",
// JSON-NEXT: "container": "bf16",
// JSON-NEXT: "elements": 24,
// JSON-NEXT: "exp_bits": 8,
// JSON-NEXT: "f32_bytes": 96,
// JSON-NEXT: "format": "bf16",
// JSON-NEXT: "man_bits": 7,
// JSON-NEXT: "ops": 2,
// JSON-NEXT: "optimizer": "adam",
// JSON-NEXT: "optimizer_state": false,
// JSON-NEXT: "q": 0.0059{{[0-9]*}},
// JSON-NEXT: "required_bits": 7.38{{[0-9]*}},
// JSON-NEXT: "rounding": "nearest_even",
// JSON-NEXT: "stored_bytes": 48,
// JSON-NEXT: "theory_mantissa_bits": 7
// JSON-NEXT: },
// JSON: "component": "first_moment",
// JSON-NEXT: "container": "bf16",
// JSON: "format": "bf16",
// JSON: "optimizer_state": true,
// JSON: "stored_bytes": 48,
// JSON: "component": "second_moment",
// JSON-NEXT: "container": "f32",
// JSON: "format": "fp32",
// JSON: "stored_bytes": 96,
// JSON: "function": "mlp_adam",
// JSON-NEXT: "iterations": 10000
// JSON: "components": [
// JSON: "component": "weight",
// JSON: "format": "fp16",
// JSON: "optimizer": "muon",
// JSON: "function": "muon",
// JSON: "snap": "hardware"

func.func @mlp_adam(%w0: tensor<4x4xf32>, %g0: tensor<4x4xf32>,
                    %m0: tensor<4x4xf32>, %v0: tensor<4x4xf32>,
                    %w1: tensor<8xf32>, %g1: tensor<8xf32>,
                    %m1: tensor<8xf32>, %v1: tensor<8xf32>, %t: i64)
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>,
        tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  // expected-warning @+2 {{the theory asks for 38 mantissa bits for the adam weight at T = 10000, more than f32 has; clamped to 23}}
  // expected-remark @+1 {{adam weight: T = 10000, c = 12.00, q <= 2^-38.58 (2.44E-12) under nearest_even -> 23 mantissa bits -> fp32 (f32 container, 4 bytes/element); c from option adam-c-weight}}
  %w0q = qopt.quantize %w0 to <bf16> component <weight> : tensor<4x4xf32>
  // expected-remark @+1 {{adam grad: T = 10000, c = -5.90, q <= 2^-7.39 (5.97E-03) under nearest_even -> 7 mantissa bits -> bf16 (bf16 container, 2 bytes/element); c from the defaults}}
  %g0q = qopt.quantize %g0 to <bf16> component <grad> : tensor<4x4xf32>
  %nw0, %nm0, %nv0 = qopt.adam_update %w0, %g0q, %m0, %v0, %t
      {lr = 1.0e-3 : f32} : tensor<4x4xf32>
  // expected-remark @+1 {{adam first_moment: T = 10000, c = -5.90, q <= 2^-7.39 (5.97E-03) under nearest_even -> 7 mantissa bits -> bf16 (bf16 container, 2 bytes/element); c from the defaults}}
  %m0q = qopt.quantize %nm0 to <bf16> component <first_moment>
      : tensor<4x4xf32>
  // expected-remark @+1 {{adam second_moment: T = 10000, c = -13.90, q <= 2^-12.68 (1.53E-04) under nearest_even -> 12 mantissa bits -> fp32 (f32 container, 4 bytes/element); c from the defaults}}
  %v0q = qopt.quantize %nv0 to <bf16> component <second_moment>
      : tensor<4x4xf32>
  // expected-warning @+2 {{the theory asks for 38 mantissa bits}}
  // expected-remark @+1 {{adam weight: T = 10000}}
  %w1q = qopt.quantize %w1 to <bf16> component <weight> : tensor<8xf32>
  // expected-remark @+1 {{adam grad: T = 10000}}
  %g1q = qopt.quantize %g1 to <bf16> component <grad> : tensor<8xf32>
  %nw1, %nm1, %nv1 = qopt.adam_update %w1, %g1q, %m1, %v1, %t
      {lr = 1.0e-3 : f32} : tensor<8xf32>
  // expected-remark @+1 {{adam first_moment: T = 10000}}
  %m1q = qopt.quantize %nm1 to <bf16> component <first_moment> : tensor<8xf32>
  // expected-remark @+1 {{adam second_moment: T = 10000}}
  %v1q = qopt.quantize %nv1 to <bf16> component <second_moment> : tensor<8xf32>
  return %nw0, %m0q, %v0q, %w0q, %nw1, %m1q, %v1q, %w1q
      : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>,
        tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

func.func @muon(%w: tensor<4x4xf32>, %g: tensor<4x4xf32>, %b: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  // expected-remark @+1 {{muon weight: T = 10000, c = 4.10, q <= 2^-10.74 (5.83E-04) under nearest_even -> 10 mantissa bits -> fp16 (f16 container, 2 bytes/element); c from the defaults}}
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4x4xf32>
  %y = arith.addf %wq, %wq : tensor<4x4xf32>
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<4x4xf32>
  return %y, %w1 : tensor<4x4xf32>, tensor<4x4xf32>
}
