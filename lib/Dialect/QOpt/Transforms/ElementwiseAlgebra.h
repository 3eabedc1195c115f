//===- ElementwiseAlgebra.h - elementwise tensor code as algebra -*- C++
//-*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What one element of an f32 tensor computed by elementwise code is, as a
// polynomial in normal form, so that code written in different ways (one
// fused linalg.generic or several, arith ops on tensors, scalars in 0-d
// tensors, divisions or multiplications by reciprocals, sqrt(a/b) or
// sqrt(a)/sqrt(b)) compares equal when it computes the same formula.
//
// A polynomial is a sum of monomials c * a1^k1 * ... * an^kn with double
// coefficients over atoms:
//   * leaves: tensors read element by element (a function argument, the
//     result of a non-elementwise op such as a matmul or a reduction, or of
//     elementwise code the analysis cannot express), possibly transposed,
//     and scalars (f32 values, 0-d or all-ones tensors broadcast);
//   * step(t): an integer `t` converted to f32 (sitofp / uitofp);
//   * pow(b, t): a positive constant, or a polynomial in scalars (a dynamic
//     beta, taken to lie in [0, 1) as a bias correction's does), to the
//     power step(t) (math.powf, math.fpowi), Adam's bias corrections;
//   * sqrt(P), recip(P), abs(P) of a polynomial P that the normal form
//     cannot simplify further.
// Constants fold (the IR's own folders, so f32 rounding is the IR's); sums
// and products expand; reciprocals and square roots distribute over
// products (recip(a b) = recip(a) recip(b), sqrt(a b) = sqrt(a) sqrt(b) when
// at most one factor can be negative, sqrt(x^2) = abs(x)) and take common
// factors out of sums. Two polynomials are compared with a relative
// tolerance on every constant (coefficients, bases of powers).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_ELEMENTWISEALGEBRA_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_ELEMENTWISEALGEBRA_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <optional>

namespace mlir {
namespace qopt {
namespace algebra {

/// Where an integer step comes from: an integer SSA value (a scalar, or a
/// 0-d / all-ones integer tensor), possibly computed inside the body of a
/// linalg op (`body`), and whether it was converted as unsigned.
struct StepRef {
  Value value;
  Operation *body = nullptr;
  bool isUnsigned = false;

  bool operator==(const StepRef &other) const {
    return value == other.value && body == other.body &&
           isUnsigned == other.isUnsigned;
  }
};

struct Poly;

/// A factor the normal form does not decompose (see the file comment).
struct Atom {
  enum class Kind { Leaf, Step, PowStep, Sqrt, Recip, Abs };
  Kind kind;
  /// Leaf: index into ElementwiseAnalysis's leaf table.
  unsigned leaf = 0;
  /// Step, PowStep: the integer step; PowStep: the constant base, or 0
  /// when the base is `arg`.
  StepRef step;
  double base = 0.0;
  /// Sqrt, Recip, Abs: the argument; PowStep: the base when it is not a
  /// constant (a polynomial in scalars).
  std::shared_ptr<const Poly> arg;
};
using AtomPtr = std::shared_ptr<const Atom>;

struct Factor {
  AtomPtr atom;
  unsigned power;
};

struct Monomial {
  double coeff = 0.0;
  /// Sorted by atom, each atom once.
  SmallVector<Factor, 4> factors;
};

/// A polynomial in normal form: monomials sorted by their factors, like
/// monomials merged, no zero coefficient.
struct Poly {
  SmallVector<Monomial, 4> terms;

  static Poly constant(double value);
  static Poly atom(AtomPtr atom);
  /// The value of a constant polynomial (0 for the empty one).
  std::optional<double> getConstant() const;
  /// The coefficient of the monomial with exactly `factors` (0 if absent).
  double coefficientOf(ArrayRef<Factor> factors) const;
  bool isZero() const { return terms.empty(); }
};

/// The largest polynomial (in terms) the algebra builds; bigger expansions
/// fail, so matching stays cheap on unrelated code.
constexpr size_t kMaxTerms = 64;

int compareAtoms(const Atom &a, const Atom &b);
int comparePolys(const Poly &a, const Poly &b);

FailureOr<Poly> add(const Poly &a, const Poly &b);
FailureOr<Poly> sub(const Poly &a, const Poly &b);
Poly scale(const Poly &a, double factor);
FailureOr<Poly> mul(const Poly &a, const Poly &b);
/// 1 / a; fails on the zero polynomial.
FailureOr<Poly> recip(const Poly &a);
/// sqrt(a); fails on a negative constant.
FailureOr<Poly> sqrt(const Poly &a);
Poly abs(const Poly &a);
/// a^exponent for the exponents the normal form expresses (-2, -1, -0.5,
/// 0.5, 1, 2, 3).
FailureOr<Poly> powConstant(const Poly &a, double exponent);
/// base^step(t), base a positive constant.
Poly powStep(double base, const StepRef &step);
/// base^step(t), base a polynomial in scalars (a dynamic beta).
Poly powStep(const Poly &base, const StepRef &step);
Poly stepValue(const StepRef &step);

/// Equality up to a relative tolerance on every constant.
bool approxEqual(double a, double b, double tolerance);
bool approxEqual(const Poly &a, const Poly &b, double tolerance);
bool approxEqual(const Atom &a, const Atom &b, double tolerance);

/// Calls `fn` on every atom of `p`, nested ones (in arguments) included.
void walkAtoms(const Poly &p, function_ref<void(const Atom &)> fn);

/// A leaf of the analysis.
struct Leaf {
  Value value;
  /// Read as a scalar (broadcast) rather than element by element.
  bool scalar = false;
  /// Read transposed (a 2-D tensor through a (d0, d1) -> (d1, d0) map).
  bool transposed = false;
};

/// Builds the polynomials of f32 tensors and scalars from the IR that
/// computes them, through elementwise linalg ops (any LinalgOp whose
/// iterators are parallel: linalg.generic, linalg.map, named elementwise
/// ops, linalg.fill, linalg.broadcast of a scalar), elementwise ops on
/// tensors (arith, math), tensor.cast, and scalar code (arith, math,
/// tensor.extract / tensor.from_elements of 0-d and all-ones tensors).
class ElementwiseAnalysis {
public:
  /// The polynomial of each element of the ranked f32 tensor `tensor`, in
  /// its own index space. A tensor the analysis cannot express is a leaf;
  /// fails only for values that are not f32.
  FailureOr<Poly> element(Value tensor);
  /// The polynomial of an f32 scalar, or of the single value of a 0-d or
  /// all-ones f32 tensor.
  FailureOr<Poly> scalar(Value value);

  /// The polynomial of the leaf `value` (read element by element, or
  /// transposed), for building reference formulas.
  Poly leafPoly(Value value, bool transposed = false);
  const Leaf &getLeaf(unsigned id) const { return leaves[id]; }

  /// The ops whose results the analysis expanded (not the leaves'), in the
  /// order it met them.
  ArrayRef<Operation *> getExpandedOps() const {
    return expanded.getArrayRef();
  }

private:
  enum class Ctx : unsigned { Element = 0, Scalar = 1 };

  FailureOr<Poly> get(Value value, Ctx ctx);
  FailureOr<Poly> expand(Value value, Ctx ctx);
  FailureOr<Poly> expandLinalg(Operation *op, unsigned resultNumber, Ctx ctx);
  /// Whether `p` reads only scalars (no tensor element, no step).
  bool isScalarPoly(const Poly &p) const;
  unsigned leafId(Value value, bool scalar, bool transposed);
  Poly leaf(Value value, bool scalar, bool transposed);

  /// Nesting of get() calls beyond which values are leaves.
  static constexpr unsigned kMaxDepth = 256;

  DenseMap<std::pair<Value, unsigned>, Poly> memo;
  unsigned depth = 0;
  SmallVector<Leaf> leaves;
  DenseMap<std::pair<Value, unsigned>, unsigned> leafIds;
  llvm::SetVector<Operation *> expanded;
};

/// Whether `type` is a 0-d tensor or a tensor whose dimensions are all 1.
bool isScalarTensor(Type type);

/// The value of an f32 constant (a scalar or a splat tensor, folded through
/// arith and math ops on constants without touching the IR), if `value` is
/// one.
std::optional<double> getF32Constant(Value value);

/// Whether the integer step `step` can be rebuilt as an SSA value at a
/// point after the op that reads it (materializeStep).
bool canMaterializeStep(const StepRef &step);
/// The step as an i64 SSA value, built with `builder` (sign or zero
/// extension, tensor.extract of a 0-d tensor, or a copy of the integer code
/// of a linalg body on the values it reads).
Value materializeStep(OpBuilder &builder, Location loc, const StepRef &step);

} // namespace algebra
} // namespace qopt
} // namespace mlir

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_ELEMENTWISEALGEBRA_H
