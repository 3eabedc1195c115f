// RUN: qopt-opt %s --qopt-assign-precision="snap=nearest" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="iterations=-5" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="min-exponent-bits=9" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="calibration-file=%S/Inputs/does-not-exist.json" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="calibration-file=%S/Inputs/calibration-malformed.json" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="calibration-file=%S/Inputs/calibration-unknown-component.json" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="calibration-file=%S/Inputs/calibration-not-a-number.json" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="report-file=%S/Inputs/no-such-dir/report.json" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="report-file=/dev/full" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="adam-c-weight=nan" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="muon-c-grad=inf" -verify-diagnostics
// RUN: qopt-opt %s --qopt-assign-precision="adam-c-second-moment=-1e308" -verify-diagnostics

/// Invalid options and calibration files are errors on the module, and so is
/// a report that cannot be written (a full disk: /dev/full), not an abort.
/// Each RUN line triggers exactly one of the alternatives below.

// expected-error-re @below {{{{(qopt-assign-precision: invalid snap 'nearest' \(expected none or hardware\)|qopt-assign-precision: iterations must be positive, got -5|qopt-assign-precision: min-exponent-bits must be at most 8 \(f32's\), got 9|cannot open calibration file '.*does-not-exist.json': .*|malformed calibration file '.*calibration-malformed.json': .*|calibration file '.*calibration-unknown-component.json': unknown component 'bias' for adam|calibration file '.*calibration-not-a-number.json': adam.grad must be a finite number|cannot write report file '.*report.json': .*|cannot write report file '/dev/full': No space left on device|qopt-assign-precision: the constant c of (adam weight is NaN|adam weight is nan|muon grad is INF|adam second_moment is -1(\.0*)?e\+308); it must be finite and in \[-1000, 1000\] \(the mantissa bits are ceil\(slope \* log2 T \+ c\), between 0 and 23\))}}}}
module attributes {qopt.iterations = 100 : i64} {
  func.func @f(%w: tensor<4xf32>) -> tensor<4xf32> {
    return %w : tensor<4xf32>
  }
}
