//===- StorageEmitter.h - narrow storage codes as arith ---------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Emits, as arith ops on scalars, the encoding of an f32 value into a narrow
// container and its decoding (the layouts of Numerics/StorageCodec.h). The
// standalone qopt.encode / qopt.decode lowerings and the fused optimizer
// loops put this arithmetic in their bodies.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CONVERSION_QOPTTOLINALG_STORAGEEMITTER_H
#define QOPT_CONVERSION_QOPTTOLINALG_STORAGEEMITTER_H

#include "qopt/Numerics/StorageCodec.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Value.h"

namespace mlir {
namespace qopt {

/// Returns the code of `value` (f32), which must be a value of `layout` with
/// NaN as qopt.quantize produces it (the quiet NaN of its sign), as a scalar
/// of `container` (a native float type or i8/i16).
Value emitEncodeScalar(ImplicitLocOpBuilder &b, Value value,
                       const StorageLayout &layout, Type container);

/// Returns the f32 value of `code`, a scalar of a container in `layout`.
/// NaN codes give a NaN of the code's sign, quiet unless `quietNaN` is false
/// (for values that only feed arithmetic, which quiets NaN anyway).
Value emitDecodeScalar(ImplicitLocOpBuilder &b, Value code,
                       const StorageLayout &layout, bool quietNaN = true);

} // namespace qopt
} // namespace mlir

#endif // QOPT_CONVERSION_QOPTTOLINALG_STORAGEEMITTER_H
