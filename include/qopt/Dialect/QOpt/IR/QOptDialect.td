//===- QOptDialect.td - qopt dialect definition -----------*- tablegen -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD
#define QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD

include "mlir/IR/OpBase.td"

def QOpt_Dialect : Dialect {
  let name = "qopt";
  let cppNamespace = "::mlir::qopt";
  let summary = "simulated low-precision training: quantization and optimizers";
  let description = [{
    The `qopt` dialect expresses the pieces of a training step whose numeric
    precision is a compiler decision: `qopt.quantize`, which rounds an f32
    tensor to the values of a narrower floating-point format while keeping f32
    storage (simulated quantization), and the optimizer updates
    `qopt.adam_update` and `qopt.muon_update`.

    A training step has four quantization points (weights sent to the
    forward/backward pass, gradients, first moment, second moment); each
    `qopt.quantize` may carry a `component` tag naming which one it is, so
    that precision-assignment passes can choose its format from the
    convergence theory of low-precision Adam and Muon.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes (defined in QOptAttrs.cpp).
    void registerAttributes();
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD
