//===- ElementwiseAlgebra.cpp - elementwise tensor code as algebra --------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "ElementwiseAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <functional>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::algebra;

//===----------------------------------------------------------------------===//
// Order
//===----------------------------------------------------------------------===//

template <typename T> static int compareValues(const T &a, const T &b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

static int comparePointers(const void *a, const void *b) {
  return std::less<const void *>()(a, b) ? -1 : (a == b ? 0 : 1);
}

static int compareSteps(const StepRef &a, const StepRef &b) {
  if (int c = comparePointers(a.value.getAsOpaquePointer(),
                              b.value.getAsOpaquePointer()))
    return c;
  if (int c = comparePointers(a.body, b.body))
    return c;
  return compareValues(a.isUnsigned, b.isUnsigned);
}

int algebra::compareAtoms(const Atom &a, const Atom &b) {
  if (a.kind != b.kind)
    return compareValues(static_cast<int>(a.kind), static_cast<int>(b.kind));
  switch (a.kind) {
  case Atom::Kind::Leaf:
    return compareValues(a.leaf, b.leaf);
  case Atom::Kind::Step:
    return compareSteps(a.step, b.step);
  case Atom::Kind::PowStep:
    if (int c = compareValues(a.base, b.base))
      return c;
    if (int c =
            compareValues(static_cast<bool>(a.arg), static_cast<bool>(b.arg)))
      return c;
    if (a.arg)
      if (int c = comparePolys(*a.arg, *b.arg))
        return c;
    return compareSteps(a.step, b.step);
  case Atom::Kind::Sqrt:
  case Atom::Kind::Recip:
  case Atom::Kind::Abs:
    return comparePolys(*a.arg, *b.arg);
  }
  return 0;
}

static int compareFactors(ArrayRef<Factor> a, ArrayRef<Factor> b) {
  for (size_t i = 0, e = std::min(a.size(), b.size()); i < e; ++i) {
    if (int c = compareAtoms(*a[i].atom, *b[i].atom))
      return c;
    if (int c = compareValues(a[i].power, b[i].power))
      return c;
  }
  return compareValues(a.size(), b.size());
}

int algebra::comparePolys(const Poly &a, const Poly &b) {
  if (int c = compareValues(a.terms.size(), b.terms.size()))
    return c;
  for (size_t i = 0, e = a.terms.size(); i < e; ++i) {
    if (int c = compareFactors(a.terms[i].factors, b.terms[i].factors))
      return c;
    if (int c = compareValues(a.terms[i].coeff, b.terms[i].coeff))
      return c;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Normal form
//===----------------------------------------------------------------------===//

static AtomPtr makeAtom(Atom atom) {
  return std::make_shared<const Atom>(std::move(atom));
}

static AtomPtr makeArgAtom(Atom::Kind kind, Poly arg) {
  Atom atom;
  atom.kind = kind;
  atom.arg = std::make_shared<const Poly>(std::move(arg));
  return makeAtom(std::move(atom));
}

Poly Poly::constant(double value) {
  Poly p;
  if (value != 0.0)
    p.terms.push_back(Monomial{value, {}});
  return p;
}

Poly Poly::atom(AtomPtr atom) {
  Poly p;
  p.terms.push_back(Monomial{1.0, {Factor{std::move(atom), 1}}});
  return p;
}

std::optional<double> Poly::getConstant() const {
  if (terms.empty())
    return 0.0;
  if (terms.size() == 1 && terms[0].factors.empty())
    return terms[0].coeff;
  return std::nullopt;
}

double Poly::coefficientOf(ArrayRef<Factor> factors) const {
  for (const Monomial &m : terms)
    if (compareFactors(m.factors, factors) == 0)
      return m.coeff;
  return 0.0;
}

static FailureOr<Poly> normalize(SmallVector<Monomial, 4> terms);

static FailureOr<Poly> power(const Poly &p, unsigned n) {
  Poly result = Poly::constant(1.0);
  for (unsigned i = 0; i < n; ++i) {
    FailureOr<Poly> next = mul(result, p);
    if (failed(next))
      return failure();
    result = std::move(*next);
  }
  return result;
}

/// Sorts `items` by `compare` (a three-way comparison), keeping equal items
/// in their order.
template <typename T, typename Compare>
static void stableSort(SmallVectorImpl<T> &items, Compare compare) {
  SmallVector<unsigned> order(items.size());
  for (unsigned i = 0; i < order.size(); ++i)
    order[i] = i;
  llvm::sort(order, [&](unsigned a, unsigned b) {
    int c = compare(items[a], items[b]);
    return c != 0 ? c < 0 : a < b;
  });
  SmallVector<T> sorted;
  sorted.reserve(items.size());
  for (unsigned i : order)
    sorted.push_back(std::move(items[i]));
  for (unsigned i = 0; i < order.size(); ++i)
    items[i] = std::move(sorted[i]);
}

/// Sorts the factors of `m` and merges repeated atoms.
static void mergeFactors(Monomial &m) {
  stableSort(m.factors, [](const Factor &x, const Factor &y) {
    return compareAtoms(*x.atom, *y.atom);
  });
  SmallVector<Factor, 4> merged;
  for (Factor &f : m.factors) {
    if (!merged.empty() && compareAtoms(*merged.back().atom, *f.atom) == 0)
      merged.back().power += f.power;
    else
      merged.push_back(f);
  }
  m.factors = std::move(merged);
}

static FailureOr<Poly> normalize(SmallVector<Monomial, 4> terms) {
  // abs(x)^(2k) is x^(2k): expand those first.
  SmallVector<Monomial, 4> plain;
  SmallVector<Poly, 2> expandedTerms;
  for (Monomial &m : terms) {
    mergeFactors(m);
    auto evenAbs = llvm::find_if(m.factors, [](const Factor &f) {
      return f.atom->kind == Atom::Kind::Abs && f.power >= 2;
    });
    if (evenAbs == m.factors.end()) {
      plain.push_back(std::move(m));
      continue;
    }
    unsigned even = evenAbs->power - evenAbs->power % 2;
    FailureOr<Poly> inner = power(*evenAbs->atom->arg, even);
    if (failed(inner))
      return failure();
    Monomial rest = m;
    auto restAbs = rest.factors.begin() + (evenAbs - m.factors.begin());
    if (restAbs->power == even)
      rest.factors.erase(restAbs);
    else
      restAbs->power -= even;
    FailureOr<Poly> restPoly = normalize({rest});
    if (failed(restPoly))
      return failure();
    FailureOr<Poly> product = mul(*restPoly, *inner);
    if (failed(product))
      return failure();
    expandedTerms.push_back(std::move(*product));
  }
  for (Poly &p : expandedTerms)
    for (Monomial &m : p.terms)
      plain.push_back(std::move(m));

  stableSort(plain, [](const Monomial &x, const Monomial &y) {
    return compareFactors(x.factors, y.factors);
  });
  Poly result;
  for (Monomial &m : plain) {
    if (!result.terms.empty() &&
        compareFactors(result.terms.back().factors, m.factors) == 0)
      result.terms.back().coeff += m.coeff;
    else
      result.terms.push_back(std::move(m));
  }
  llvm::erase_if(result.terms, [](const Monomial &m) {
    return m.coeff == 0.0 || !std::isfinite(m.coeff);
  });
  if (result.terms.size() > kMaxTerms)
    return failure();
  return result;
}

FailureOr<Poly> algebra::add(const Poly &a, const Poly &b) {
  SmallVector<Monomial, 4> terms(a.terms.begin(), a.terms.end());
  terms.append(b.terms.begin(), b.terms.end());
  return normalize(std::move(terms));
}

Poly algebra::scale(const Poly &a, double factor) {
  if (factor == 0.0)
    return Poly();
  Poly p = a;
  for (Monomial &m : p.terms)
    m.coeff *= factor;
  return p;
}

FailureOr<Poly> algebra::sub(const Poly &a, const Poly &b) {
  return add(a, scale(b, -1.0));
}

FailureOr<Poly> algebra::mul(const Poly &a, const Poly &b) {
  if (a.terms.size() * b.terms.size() > kMaxTerms * kMaxTerms)
    return failure();
  SmallVector<Monomial, 4> terms;
  for (const Monomial &x : a.terms) {
    for (const Monomial &y : b.terms) {
      Monomial m{x.coeff * y.coeff, x.factors};
      m.factors.append(y.factors.begin(), y.factors.end());
      terms.push_back(std::move(m));
    }
  }
  return normalize(std::move(terms));
}

/// Whether `p` is non-negative (given a step of at least 1): sums of
/// non-negative terms, and 1 - beta^t with 0 < beta < 1 (a bias
/// correction).
static bool isKnownNonNegative(const Poly &p);

static bool isKnownNonNegative(const Atom &atom) {
  switch (atom.kind) {
  case Atom::Kind::Sqrt:
  case Atom::Kind::Abs:
    return true;
  case Atom::Kind::PowStep:
    // A dynamic base is a beta, in [0, 1).
    return atom.arg || atom.base > 0.0;
  case Atom::Kind::Recip:
    return isKnownNonNegative(*atom.arg);
  case Atom::Kind::Leaf:
  case Atom::Kind::Step:
    return false;
  }
  return false;
}

static bool isKnownNonNegative(const Poly &p) {
  // c - d * beta^t >= c - d >= 0 for t >= 1.
  if (p.terms.size() == 2 && p.terms[0].factors.empty() &&
      p.terms[1].factors.size() == 1 && p.terms[1].factors[0].power == 1) {
    const Atom &pow = *p.terms[1].factors[0].atom;
    double c = p.terms[0].coeff, d = -p.terms[1].coeff;
    if (pow.kind == Atom::Kind::PowStep &&
        (pow.arg || (pow.base > 0.0 && pow.base < 1.0)) && c > 0.0 && d > 0.0 &&
        d <= c)
      return true;
  }
  return llvm::all_of(p.terms, [](const Monomial &m) {
    return m.coeff > 0.0 && llvm::all_of(m.factors, [](const Factor &f) {
             return f.power % 2 == 0 || isKnownNonNegative(*f.atom);
           });
  });
}

/// Splits `p` into the factors common to all its terms (with their
/// smallest power) and the rest.
static std::pair<SmallVector<Factor, 4>, Poly> splitCommonFactors(Poly p) {
  SmallVector<Factor, 4> common;
  if (p.terms.size() < 2)
    return {common, std::move(p)};
  for (const Factor &f : p.terms[0].factors) {
    unsigned minPower = f.power;
    bool everywhere = true;
    for (const Monomial &m : ArrayRef(p.terms).drop_front()) {
      auto it = llvm::find_if(m.factors, [&](const Factor &g) {
        return compareAtoms(*g.atom, *f.atom) == 0;
      });
      if (it == m.factors.end()) {
        everywhere = false;
        break;
      }
      minPower = std::min(minPower, it->power);
    }
    if (everywhere)
      common.push_back(Factor{f.atom, minPower});
  }
  for (Monomial &m : p.terms) {
    for (const Factor &c : common) {
      auto it = llvm::find_if(m.factors, [&](const Factor &g) {
        return compareAtoms(*g.atom, *c.atom) == 0;
      });
      if (it->power == c.power)
        m.factors.erase(it);
      else
        it->power -= c.power;
    }
  }
  return {common, std::move(p)};
}

static FailureOr<Poly> monomialPoly(double coeff, ArrayRef<Factor> factors) {
  Monomial m{coeff, SmallVector<Factor, 4>(factors.begin(), factors.end())};
  return normalize({m});
}

/// 1 / a for one atom.
static Poly recipAtom(const AtomPtr &atom) {
  if (atom->kind == Atom::Kind::Recip)
    return *atom->arg;
  return Poly::atom(makeArgAtom(Atom::Kind::Recip, Poly::atom(atom)));
}

FailureOr<Poly> algebra::recip(const Poly &a) {
  if (a.isZero())
    return failure();
  if (a.terms.size() == 1) {
    const Monomial &m = a.terms[0];
    Poly result = Poly::constant(1.0 / m.coeff);
    for (const Factor &f : m.factors) {
      FailureOr<Poly> r = power(recipAtom(f.atom), f.power);
      if (failed(r))
        return failure();
      FailureOr<Poly> next = mul(result, *r);
      if (failed(next))
        return failure();
      result = std::move(*next);
    }
    return result;
  }
  auto [common, rest] = splitCommonFactors(a);
  Poly restRecip = Poly::atom(makeArgAtom(Atom::Kind::Recip, rest));
  if (common.empty())
    return restRecip;
  FailureOr<Poly> commonPoly = monomialPoly(1.0, common);
  if (failed(commonPoly))
    return failure();
  FailureOr<Poly> commonRecip = recip(*commonPoly);
  if (failed(commonRecip))
    return failure();
  return mul(*commonRecip, restRecip);
}

/// sqrt(a) for one atom a >= 0 (or the one factor of unknown sign).
static FailureOr<Poly> sqrtAtom(const AtomPtr &atom) {
  if (atom->kind == Atom::Kind::Recip) {
    FailureOr<Poly> root = algebra::sqrt(*atom->arg);
    if (failed(root))
      return failure();
    return recip(*root);
  }
  return Poly::atom(makeArgAtom(Atom::Kind::Sqrt, Poly::atom(atom)));
}

/// sqrt of c * prod(factors), c >= 0, splitting over the factors when at
/// most one of them may be negative (`restUnknown` counts one more factor
/// of unknown sign outside `factors`).
static FailureOr<Poly> sqrtMonomial(double coeff, ArrayRef<Factor> factors,
                                    bool restUnknown, bool &split) {
  split = false;
  if (coeff < 0.0)
    return failure();
  unsigned unknown = restUnknown ? 1 : 0;
  for (const Factor &f : factors)
    if (f.power % 2 == 1 && !isKnownNonNegative(*f.atom))
      ++unknown;
  if (unknown > 1)
    return failure();
  split = true;
  Poly result = Poly::constant(std::sqrt(coeff));
  for (const Factor &f : factors) {
    Poly half = Poly::constant(1.0);
    if (f.power >= 2) {
      Poly base = Poly::atom(f.atom);
      if (!isKnownNonNegative(*f.atom))
        base = abs(base);
      FailureOr<Poly> p = power(base, f.power / 2);
      if (failed(p))
        return failure();
      half = std::move(*p);
    }
    if (f.power % 2 == 1) {
      FailureOr<Poly> root = sqrtAtom(f.atom);
      if (failed(root))
        return failure();
      FailureOr<Poly> p = mul(half, *root);
      if (failed(p))
        return failure();
      half = std::move(*p);
    }
    FailureOr<Poly> next = mul(result, half);
    if (failed(next))
      return failure();
    result = std::move(*next);
  }
  return result;
}

FailureOr<Poly> algebra::sqrt(const Poly &a) {
  if (a.isZero())
    return Poly();
  if (std::optional<double> c = a.getConstant()) {
    if (*c < 0.0)
      return failure();
    return Poly::constant(std::sqrt(*c));
  }
  Poly whole = Poly::atom(makeArgAtom(Atom::Kind::Sqrt, a));
  if (a.terms.size() == 1) {
    bool split;
    FailureOr<Poly> r =
        sqrtMonomial(a.terms[0].coeff, a.terms[0].factors, false, split);
    return split && succeeded(r) ? r : FailureOr<Poly>(whole);
  }
  auto [common, rest] = splitCommonFactors(a);
  if (common.empty())
    return whole;
  bool split;
  FailureOr<Poly> commonRoot =
      sqrtMonomial(1.0, common, !isKnownNonNegative(rest), split);
  if (!split || failed(commonRoot))
    return whole;
  return mul(*commonRoot, Poly::atom(makeArgAtom(Atom::Kind::Sqrt, rest)));
}

Poly algebra::abs(const Poly &a) {
  if (std::optional<double> c = a.getConstant())
    return Poly::constant(std::fabs(*c));
  if (isKnownNonNegative(a))
    return a;
  if (a.terms.size() == 1 &&
      llvm::all_of(a.terms[0].factors, [](const Factor &f) {
        return f.power % 2 == 0 || isKnownNonNegative(*f.atom);
      }))
    return scale(a, a.terms[0].coeff < 0.0 ? -1.0 : 1.0);
  return Poly::atom(makeArgAtom(Atom::Kind::Abs, a));
}

FailureOr<Poly> algebra::powConstant(const Poly &a, double exponent) {
  if (exponent == 0.0)
    return Poly::constant(1.0);
  if (exponent == 1.0)
    return a;
  if (exponent == 2.0)
    return mul(a, a);
  if (exponent == 3.0)
    return power(a, 3);
  if (exponent == 0.5)
    return sqrt(a);
  if (exponent == -1.0)
    return recip(a);
  if (exponent == -2.0) {
    FailureOr<Poly> square = mul(a, a);
    if (failed(square))
      return failure();
    return recip(*square);
  }
  if (exponent == -0.5) {
    FailureOr<Poly> root = sqrt(a);
    if (failed(root))
      return failure();
    return recip(*root);
  }
  return failure();
}

Poly algebra::powStep(double base, const StepRef &step) {
  Atom atom;
  atom.kind = Atom::Kind::PowStep;
  atom.base = base;
  atom.step = step;
  return Poly::atom(makeAtom(std::move(atom)));
}

Poly algebra::powStep(const Poly &base, const StepRef &step) {
  if (std::optional<double> c = base.getConstant())
    return powStep(*c, step);
  Atom atom;
  atom.kind = Atom::Kind::PowStep;
  atom.arg = std::make_shared<const Poly>(base);
  atom.step = step;
  return Poly::atom(makeAtom(std::move(atom)));
}

Poly algebra::stepValue(const StepRef &step) {
  Atom atom;
  atom.kind = Atom::Kind::Step;
  atom.step = step;
  return Poly::atom(makeAtom(std::move(atom)));
}

//===----------------------------------------------------------------------===//
// Comparison with a tolerance
//===----------------------------------------------------------------------===//

bool algebra::approxEqual(double a, double b, double tolerance) {
  return a == b ||
         std::fabs(a - b) <= tolerance * std::max(std::fabs(a), std::fabs(b));
}

static bool approxEqualFactors(ArrayRef<Factor> a, ArrayRef<Factor> b,
                               double tolerance) {
  if (a.size() != b.size())
    return false;
  SmallVector<bool> used(b.size(), false);
  for (const Factor &f : a) {
    bool found = false;
    for (size_t j = 0; j < b.size() && !found; ++j) {
      if (!used[j] && b[j].power == f.power &&
          approxEqual(*f.atom, *b[j].atom, tolerance)) {
        used[j] = true;
        found = true;
      }
    }
    if (!found)
      return false;
  }
  return true;
}

bool algebra::approxEqual(const Atom &a, const Atom &b, double tolerance) {
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case Atom::Kind::Leaf:
    return a.leaf == b.leaf;
  case Atom::Kind::Step:
    return a.step == b.step;
  case Atom::Kind::PowStep:
    if (!(a.step == b.step) || static_cast<bool>(a.arg) != bool(b.arg))
      return false;
    return a.arg ? approxEqual(*a.arg, *b.arg, tolerance)
                 : approxEqual(a.base, b.base, tolerance);
  case Atom::Kind::Sqrt:
  case Atom::Kind::Recip:
  case Atom::Kind::Abs:
    return approxEqual(*a.arg, *b.arg, tolerance);
  }
  return false;
}

bool algebra::approxEqual(const Poly &a, const Poly &b, double tolerance) {
  if (a.terms.size() != b.terms.size())
    return false;
  SmallVector<bool> used(b.terms.size(), false);
  for (const Monomial &m : a.terms) {
    bool found = false;
    for (size_t j = 0; j < b.terms.size() && !found; ++j) {
      if (!used[j] && approxEqual(m.coeff, b.terms[j].coeff, tolerance) &&
          approxEqualFactors(m.factors, b.terms[j].factors, tolerance)) {
        used[j] = true;
        found = true;
      }
    }
    if (!found)
      return false;
  }
  return true;
}

void algebra::walkAtoms(const Poly &p, function_ref<void(const Atom &)> fn) {
  for (const Monomial &m : p.terms) {
    for (const Factor &f : m.factors) {
      fn(*f.atom);
      if (f.atom->arg)
        walkAtoms(*f.atom->arg, fn);
    }
  }
}

//===----------------------------------------------------------------------===//
// From IR
//===----------------------------------------------------------------------===//

bool algebra::isScalarTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && llvm::all_of(tensor.getShape(),
                                [](int64_t size) { return size == 1; });
}

static bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

/// The constant `value` folds to (arith, math and tensor.extract folders on
/// constant operands), without touching the IR.
static Attribute foldToAttribute(Value value, unsigned depth = 0) {
  Attribute attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr;
  Operation *op = value.getDefiningOp();
  if (!op || depth > 8 || op->getNumRegions() != 0 || !isPure(op) ||
      !isa<arith::ArithDialect, math::MathDialect>(op->getDialect()))
    return {};
  SmallVector<Attribute> operands;
  for (Value operand : op->getOperands()) {
    Attribute a = foldToAttribute(operand, depth + 1);
    if (!a)
      return {};
    operands.push_back(a);
  }
  // A float constant converted to another float type, rounded to nearest
  // even as truncf does by default (its folder refuses inexact results:
  // torch-mlir writes Python floats as f64 constants truncated to f32).
  if (isa<arith::TruncFOp, arith::ExtFOp>(op)) {
    auto from = dyn_cast<FloatAttr>(operands[0]);
    auto to = dyn_cast<FloatType>(value.getType());
    auto trunc = dyn_cast<arith::TruncFOp>(op);
    if (!from || !to ||
        (trunc && trunc.getRoundingmode() &&
         *trunc.getRoundingmode() != arith::RoundingMode::to_nearest_even))
      return {};
    APFloat converted = from.getValue();
    bool losesInfo;
    converted.convert(to.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                      &losesInfo);
    return FloatAttr::get(to, converted);
  }
  SmallVector<OpFoldResult> results;
  if (failed(op->fold(operands, results)) ||
      results.size() != op->getNumResults())
    return {};
  return dyn_cast_if_present<Attribute>(
      results[cast<OpResult>(value).getResultNumber()]);
}

std::optional<double> algebra::getF32Constant(Value value) {
  if (!getElementTypeOrSelf(value.getType()).isF32())
    return std::nullopt;
  Attribute attr = foldToAttribute(value);
  if (auto f = dyn_cast_if_present<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto dense = dyn_cast_if_present<DenseFPElementsAttr>(attr))
    if (dense.isSplat())
      return dense.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}

/// Whether `map` reads a scalar-like operand as a broadcast: no results, or
/// only zeros.
static bool isBroadcastMap(AffineMap map) {
  return llvm::all_of(map.getResults(), [](AffineExpr e) {
    auto c = dyn_cast<AffineConstantExpr>(e);
    return c && c.getValue() == 0;
  });
}

/// The semantics of one scalar op (or elementwise op on tensors) on the
/// polynomials of its operands; `operand` gives those, `stepOf` resolves the
/// integer operand of a conversion to f32.
static FailureOr<Poly>
applyOp(Operation *op, function_ref<FailureOr<Poly>(Value)> operand,
        function_ref<FailureOr<StepRef>(Value, bool)> stepOf,
        function_ref<bool(const Poly &)> isScalar) {
  if (op->getNumResults() != 1 ||
      !getElementTypeOrSelf(op->getResult(0).getType()).isF32())
    return failure();
  auto binary =
      [&](function_ref<FailureOr<Poly>(const Poly &, const Poly &)> fn)
      -> FailureOr<Poly> {
    FailureOr<Poly> lhs = operand(op->getOperand(0));
    if (failed(lhs))
      return failure();
    FailureOr<Poly> rhs = operand(op->getOperand(1));
    if (failed(rhs))
      return failure();
    return fn(*lhs, *rhs);
  };
  auto unary =
      [&](function_ref<FailureOr<Poly>(const Poly &)> fn) -> FailureOr<Poly> {
    FailureOr<Poly> x = operand(op->getOperand(0));
    if (failed(x))
      return failure();
    return fn(*x);
  };
  if (isa<arith::AddFOp>(op))
    return binary(algebra::add);
  if (isa<arith::SubFOp>(op))
    return binary(algebra::sub);
  if (isa<arith::MulFOp>(op))
    return binary(algebra::mul);
  if (isa<arith::DivFOp>(op))
    return binary([](const Poly &a, const Poly &b) -> FailureOr<Poly> {
      FailureOr<Poly> r = recip(b);
      if (failed(r))
        return failure();
      return mul(a, *r);
    });
  if (isa<arith::NegFOp>(op))
    return unary(
        [](const Poly &a) -> FailureOr<Poly> { return scale(a, -1.0); });
  if (isa<math::SqrtOp>(op))
    return unary(algebra::sqrt);
  if (isa<math::RsqrtOp>(op))
    return unary([](const Poly &a) -> FailureOr<Poly> {
      FailureOr<Poly> r = algebra::sqrt(a);
      if (failed(r))
        return failure();
      return recip(*r);
    });
  if (isa<math::AbsFOp>(op))
    return unary([](const Poly &a) -> FailureOr<Poly> { return abs(a); });
  // A bias correction's base: a positive constant, or a dynamic beta.
  auto isPowBase = [&](const Poly &base) {
    std::optional<double> b = base.getConstant();
    return b ? *b > 0.0 : isScalar(base);
  };
  if (isa<math::PowFOp>(op)) {
    return binary([&](const Poly &base, const Poly &e) -> FailureOr<Poly> {
      if (std::optional<double> c = e.getConstant())
        return powConstant(base, *c);
      // base^step(t): a bias correction's power.
      if (isPowBase(base) && e.terms.size() == 1 && e.terms[0].coeff == 1.0 &&
          e.terms[0].factors.size() == 1 && e.terms[0].factors[0].power == 1 &&
          e.terms[0].factors[0].atom->kind == Atom::Kind::Step)
        return powStep(base, e.terms[0].factors[0].atom->step);
      return failure();
    });
  }
  if (auto fpowi = dyn_cast<math::FPowIOp>(op)) {
    FailureOr<Poly> base = operand(fpowi.getLhs());
    if (failed(base))
      return failure();
    FailureOr<StepRef> step = stepOf(fpowi.getRhs(), /*isUnsigned=*/false);
    if (!isPowBase(*base) || failed(step))
      return failure();
    return powStep(*base, *step);
  }
  if (isa<arith::SIToFPOp, arith::UIToFPOp>(op)) {
    FailureOr<StepRef> step =
        stepOf(op->getOperand(0), isa<arith::UIToFPOp>(op));
    if (failed(step))
      return failure();
    return stepValue(*step);
  }
  return failure();
}

unsigned ElementwiseAnalysis::leafId(Value value, bool scalar,
                                     bool transposed) {
  unsigned kind = (scalar ? 1 : 0) | (transposed ? 2 : 0);
  auto [it, inserted] =
      leafIds.try_emplace(std::make_pair(value, kind), leaves.size());
  if (inserted)
    leaves.push_back(Leaf{value, scalar, transposed});
  return it->second;
}

Poly ElementwiseAnalysis::leaf(Value value, bool scalar, bool transposed) {
  Atom atom;
  atom.kind = Atom::Kind::Leaf;
  atom.leaf = leafId(value, scalar, transposed);
  return Poly::atom(makeAtom(std::move(atom)));
}

Poly ElementwiseAnalysis::leafPoly(Value value, bool transposed) {
  return leaf(value, /*scalar=*/false, transposed);
}

FailureOr<Poly> ElementwiseAnalysis::element(Value tensor) {
  return get(tensor, Ctx::Element);
}

FailureOr<Poly> ElementwiseAnalysis::scalar(Value value) {
  return get(value, Ctx::Scalar);
}

FailureOr<Poly> ElementwiseAnalysis::get(Value value, Ctx ctx) {
  auto key = std::make_pair(value, static_cast<unsigned>(ctx));
  if (auto it = memo.find(key); it != memo.end())
    return it->second;
  // Long chains of elementwise ops stop being expanded (their start is a
  // leaf) rather than exhausting the stack.
  if (depth >= kMaxDepth) {
    Type type = value.getType();
    if (ctx == Ctx::Element
            ? !isF32Tensor(type)
            : !(type.isF32() || (isF32Tensor(type) && isScalarTensor(type))))
      return failure();
    return leaf(value, ctx == Ctx::Scalar, /*transposed=*/false);
  }
  ++depth;
  FailureOr<Poly> p = expand(value, ctx);
  --depth;
  if (succeeded(p))
    memo.try_emplace(key, *p);
  return p;
}

FailureOr<Poly> ElementwiseAnalysis::expand(Value value, Ctx ctx) {
  Type type = value.getType();
  bool scalarCtx = ctx == Ctx::Scalar;
  if (scalarCtx ? !(type.isF32() || (isF32Tensor(type) && isScalarTensor(type)))
                : !isF32Tensor(type))
    return failure();
  if (std::optional<double> c = getF32Constant(value))
    return Poly::constant(*c);
  Operation *op = value.getDefiningOp();
  Poly opaque = leaf(value, scalarCtx, /*transposed=*/false);
  if (!op)
    return opaque;

  auto expandedOr = [&](FailureOr<Poly> p) -> Poly {
    if (failed(p))
      return opaque;
    expanded.insert(op);
    return std::move(*p);
  };

  if (isa<linalg::LinalgOp>(op))
    return expandedOr(
        expandLinalg(op, cast<OpResult>(value).getResultNumber(), ctx));
  // A scalar broadcast to a tensor.
  if (auto splat = dyn_cast<tensor::SplatOp>(op))
    return expandedOr(get(splat.getInput(), Ctx::Scalar));
  if (auto cast = dyn_cast<tensor::CastOp>(op)) {
    auto source = dyn_cast<RankedTensorType>(cast.getSource().getType());
    if (source && (scalarCtx ? isScalarTensor(source)
                             : source.getShape() == cast.getType().getShape()))
      return expandedOr(get(cast.getSource(), ctx));
    return opaque;
  }
  if (scalarCtx) {
    if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
      if (isScalarTensor(extract.getTensor().getType()))
        return expandedOr(get(extract.getTensor(), ctx));
      return opaque;
    }
    if (auto from = dyn_cast<tensor::FromElementsOp>(op)) {
      if (from.getElements().size() == 1)
        return expandedOr(get(from.getElements()[0], ctx));
      return opaque;
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ReshapeOp>(
            op)) {
      if (isScalarTensor(op->getOperand(0).getType()))
        return expandedOr(get(op->getOperand(0), ctx));
      return opaque;
    }
  }
  // Scalar arith / math, or the same ops on tensors (elementwise).
  bool onTensors = isa<RankedTensorType>(type);
  if (op->getNumRegions() == 0 &&
      isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) &&
      (!onTensors || op->hasTrait<OpTrait::Elementwise>())) {
    auto operandPoly = [&](Value v) { return get(v, ctx); };
    auto stepOf = [&](Value v, bool isUnsigned) -> FailureOr<StepRef> {
      Type t = v.getType();
      if (isa<IntegerType>(t) || (scalarCtx && isScalarTensor(t) &&
                                  isa<IntegerType>(getElementTypeOrSelf(t))))
        return StepRef{v, nullptr, isUnsigned};
      return failure();
    };
    return expandedOr(applyOp(op, operandPoly, stepOf,
                              [&](const Poly &p) { return isScalarPoly(p); }));
  }
  return opaque;
}

bool ElementwiseAnalysis::isScalarPoly(const Poly &p) const {
  bool scalar = true;
  walkAtoms(p, [&](const Atom &atom) {
    if (atom.kind == Atom::Kind::Step || atom.kind == Atom::Kind::PowStep ||
        (atom.kind == Atom::Kind::Leaf && !leaves[atom.leaf].scalar))
      scalar = false;
  });
  return scalar;
}

FailureOr<Poly> ElementwiseAnalysis::expandLinalg(Operation *op,
                                                  unsigned resultNumber,
                                                  Ctx ctx) {
  auto linalgOp = cast<linalg::LinalgOp>(op);
  if (!linalgOp.hasPureTensorSemantics() ||
      !llvm::all_of(linalgOp.getIteratorTypesArray(),
                    [](utils::IteratorType t) {
                      return t == utils::IteratorType::parallel;
                    }))
    return failure();
  OpOperand *init = linalgOp.getDpsInitOperand(resultNumber);
  if (!linalgOp.getMatchingIndexingMap(init).isIdentity())
    return failure();
  Block *body = linalgOp.getBlock();
  if (!body)
    return failure();
  bool scalarCtx = ctx == Ctx::Scalar;

  // The polynomial of the element an operand contributes.
  auto operandPoly = [&](OpOperand &opOperand) -> FailureOr<Poly> {
    Value operand = opOperand.get();
    auto tensor = dyn_cast<RankedTensorType>(operand.getType());
    if (!tensor)
      return get(operand, Ctx::Scalar);
    AffineMap map = linalgOp.getMatchingIndexingMap(&opOperand);
    if (isScalarTensor(tensor) && isBroadcastMap(map))
      return get(operand, Ctx::Scalar);
    if (map.isIdentity())
      return get(operand, ctx);
    // A transposed read: the operand is a leaf seen through the transpose.
    if (!scalarCtx && map.getNumDims() == 2 && map.isPermutation() &&
        isF32Tensor(tensor))
      return leaf(operand, /*scalar=*/false, /*transposed=*/true);
    return failure();
  };
  auto stepOf = [&](Value v, bool isUnsigned) -> FailureOr<StepRef> {
    if (!isa<IntegerType>(v.getType()))
      return failure();
    if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == body) {
      OpOperand *opOperand = linalgOp.getMatchingOpOperand(arg);
      Value source = opOperand->get();
      if (isa<IntegerType>(source.getType()))
        return StepRef{source, nullptr, isUnsigned};
      if (isScalarTensor(source.getType()) &&
          (scalarCtx ||
           isBroadcastMap(linalgOp.getMatchingIndexingMap(opOperand))))
        return StepRef{source, nullptr, isUnsigned};
      return failure();
    }
    if (Operation *def = v.getDefiningOp(); def && def->getBlock() == body)
      return StepRef{v, op, isUnsigned};
    return StepRef{v, nullptr, isUnsigned};
  };

  DenseMap<Value, Poly> local;
  std::function<FailureOr<Poly>(Value)> bodyValue =
      [&](Value v) -> FailureOr<Poly> {
    if (auto it = local.find(v); it != local.end())
      return it->second;
    FailureOr<Poly> result = failure();
    if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == body) {
      result = operandPoly(*linalgOp.getMatchingOpOperand(arg));
    } else if (Operation *def = v.getDefiningOp();
               def && def->getBlock() == body) {
      if (std::optional<double> c = getF32Constant(v))
        result = Poly::constant(*c);
      else
        result = applyOp(def, bodyValue, stepOf,
                         [&](const Poly &p) { return isScalarPoly(p); });
    } else if (v.getParentRegion()->isProperAncestor(&op->getRegion(0))) {
      // A scalar defined above the op.
      result = get(v, Ctx::Scalar);
    }
    if (succeeded(result))
      local.try_emplace(v, *result);
    return result;
  };
  return bodyValue(body->getTerminator()->getOperand(resultNumber));
}

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

/// Whether `v` (an integer) can be rebuilt outside `body`'s op.
static bool canRebuild(Value v, Operation *body, unsigned depth) {
  if (depth > 16)
    return false;
  if (!body)
    return true;
  auto linalgOp = cast<linalg::LinalgOp>(body);
  Block *block = linalgOp.getBlock();
  if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == block) {
    OpOperand *opOperand = linalgOp.getMatchingOpOperand(arg);
    Type type = opOperand->get().getType();
    return isa<IntegerType>(type) ||
           (isScalarTensor(type) &&
            isBroadcastMap(linalgOp.getMatchingIndexingMap(opOperand)));
  }
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != block)
    return true;
  if (def->getNumRegions() != 0 || !isPure(def) || isa<linalg::IndexOp>(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return canRebuild(operand, body, depth + 1);
  });
}

static Type getIntegerElementType(Value v) {
  return getElementTypeOrSelf(v.getType());
}

bool algebra::canMaterializeStep(const StepRef &step) {
  auto intType = dyn_cast<IntegerType>(getIntegerElementType(step.value));
  if (!intType || intType.getWidth() > 64)
    return false;
  if (auto tensor = dyn_cast<RankedTensorType>(step.value.getType()))
    if (!isScalarTensor(tensor))
      return false;
  return canRebuild(step.value, step.body, 0);
}

/// The scalar of a 0-d / all-ones integer tensor, or the value itself.
static Value extractScalar(OpBuilder &b, Location loc, Value v) {
  auto tensor = dyn_cast<RankedTensorType>(v.getType());
  if (!tensor)
    return v;
  SmallVector<Value> indices;
  if (tensor.getRank() > 0)
    indices.assign(tensor.getRank(), arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, v, indices);
}

static Value rebuild(OpBuilder &b, Location loc, Value v, Operation *body,
                     DenseMap<Value, Value> &done) {
  if (auto it = done.find(v); it != done.end())
    return it->second;
  Value result;
  auto linalgOp = dyn_cast_if_present<linalg::LinalgOp>(body);
  Block *block = linalgOp ? linalgOp.getBlock() : nullptr;
  if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == block) {
    result = extractScalar(b, loc, linalgOp.getMatchingOpOperand(arg)->get());
  } else if (Operation *def = v.getDefiningOp();
             block && def && def->getBlock() == block) {
    Operation *clone = b.clone(*def);
    for (OpOperand &operand : clone->getOpOperands())
      operand.set(rebuild(b, loc, operand.get(), body, done));
    result = clone->getResult(cast<OpResult>(v).getResultNumber());
  } else {
    result = extractScalar(b, loc, v);
  }
  done[v] = result;
  return result;
}

Value algebra::materializeStep(OpBuilder &b, Location loc,
                               const StepRef &step) {
  DenseMap<Value, Value> done;
  Value value = rebuild(b, loc, step.value, step.body, done);
  auto type = cast<IntegerType>(value.getType());
  Type i64 = b.getI64Type();
  if (type.getWidth() == 64)
    return value;
  if (step.isUnsigned)
    return arith::ExtUIOp::create(b, loc, i64, value);
  return arith::ExtSIOp::create(b, loc, i64, value);
}
