//===- QOptAttrs.h - qopt attributes and enums ------------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_IR_QOPTATTRS_H
#define QOPT_DIALECT_QOPT_IR_QOPTATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "qopt/Dialect/QOpt/IR/QOptEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptAttrs.h.inc"

#endif // QOPT_DIALECT_QOPT_IR_QOPTATTRS_H
