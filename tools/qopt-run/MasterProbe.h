//===- MasterProbe.h - what the theorems bound, compiled into the step -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The convergence theorems bound the gradient norm at the master weights
// W_t, while the step computes its loss and gradient at the quantized
// weights Q_W(W_t) the workers see. The probe compiles a second evaluation
// into @train_step: the forward/backward computation cloned with every
// weight quantize bypassed, under `scf.if` on an i64 argument marked
// `qopt.probe`, so that the runner pays for it only every --probe-every
// iterations. With --error-budget the probe also measures, per component,
// the realized relative quantization error |Q(x) - x| / |x| of every
// quantize tagged with that component, and counts the values that underflow
// to zero or overflow (which the relative-error model does not cover).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPTRUN_MASTERPROBE_H
#define QOPT_TOOLS_QOPTRUN_MASTERPROBE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace qoptrun {

/// The error-budget statistics of one component, as results of the step.
struct BudgetComponent {
  std::string name;      // "weight", "grad", "first_moment", "second_moment"
  std::string shortName; // "w", "g", "m", "v"
  /// 2^-M for the component's widest-error format (smallest M).
  double unit = 0;
  /// Result indices: max and RMS relative error, underflows, overflows.
  unsigned relMax = 0, relRms = 0, underflows = 0, overflows = 0;
};

/// Where the probe's values are among the step's results.
struct ProbeLayout {
  /// Result indices of the master loss and master gradient norm.
  unsigned masterLoss = 0, masterGradNorm = 0;
  /// Result index of ||grad f(Q_W(W)) - grad f(W)|| (none when nothing is
  /// cloned: the gap is then zero).
  std::optional<unsigned> gradGap;
  /// False when no weight is quantized: the master values are the worker
  /// values, and nothing was cloned.
  bool cloned = false;
  std::vector<BudgetComponent> budget;
};

/// Builds the Euclidean norm of all elements of `tensors` (f32 tensors of
/// any shapes) as an f32 scalar: one sum-of-squares reduction per tensor.
mlir::Value buildEuclideanNorm(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::ValueRange tensors);

/// Adds the probe to `func` (after qopt-insert-quantization and
/// assign-precision): an i64 argument marked `qopt.probe` (non-zero: probe
/// this iteration) and f32 results appended after the existing ones. The
/// first `numState` results are state; result `numState` is the worker-side
/// loss. Reports on `func` when the step's shape does not allow it.
mlir::LogicalResult addMasterProbe(mlir::func::FuncOp func, unsigned numState,
                                   bool errorBudget, ProbeLayout &layout);

} // namespace qoptrun

#endif // QOPT_TOOLS_QOPTRUN_MASTERPROBE_H
