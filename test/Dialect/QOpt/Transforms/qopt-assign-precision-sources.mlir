// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000 calibration-file=%S/Inputs/calibration-with-notes.json adam-c-weight=-6" -verify-diagnostics -o /dev/null
// RUN: qopt-opt %s --qopt-assign-precision="iterations=10000 calibration-file=%S/Inputs/calibration-with-notes.json adam-c-weight=-6 report-file=-" -o /dev/null 2>/dev/null | FileCheck %s --check-prefix=JSON

/// Each remark and each report entry says where its constant c came from:
/// the built-in defaults, a calibration file (named), or an explicit option
/// (which wins over the file). Top-level keys of the file that start with
/// "_" are notes, not optimizers.

// JSON: "functions": [
// JSON-DAG: "c_source": "option adam-c-weight"
// JSON-DAG: "c_source": "calibration file '{{.*}}calibration-with-notes.json'"
// JSON-DAG: "c_source": "the defaults"
// JSON-DAG: "function": "adam"
// JSON-DAG: "function": "muon"
func.func @adam(%w: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>,
                %v: tensor<4xf32>, %t: i64)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // expected-remark-re @+1 {{adam weight: T = 10000, c = -6.00, {{.*}}; c from option adam-c-weight}}
  %qw = qopt.quantize %w to <fp32> component <weight> : tensor<4xf32>
  // expected-remark-re @+1 {{adam grad: T = 10000, c = -3.00, {{.*}}; c from calibration file '{{.*}}calibration-with-notes.json'}}
  %qg = qopt.quantize %g to <fp32> component <grad> : tensor<4xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %qg, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<4xf32>
  // expected-remark-re @+1 {{adam first_moment: T = 10000, c = {{.*}}; c from the defaults}}
  %qm = qopt.quantize %m1 to <fp32> component <first_moment> : tensor<4xf32>
  %sink = arith.addf %qw, %qm : tensor<4xf32>
  return %sink, %qm, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

func.func @muon(%w: tensor<4x4xf32>, %g: tensor<4x4xf32>,
                %b: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>,
                                         tensor<4x4xf32>) {
  // expected-remark-re @+1 {{muon weight: T = 10000, c = 0.00, {{.*}}; c from calibration file '{{.*}}calibration-with-notes.json'}}
  %qw = qopt.quantize %w to <fp32> component <weight> : tensor<4x4xf32>
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<4x4xf32>
  // expected-remark-re @+1 {{muon first_moment: T = 10000, c = {{.*}}; c from the defaults}}
  %qb = qopt.quantize %b1 to <fp32> component <first_moment>
      : tensor<4x4xf32>
  return %w1, %qb, %qw : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}
