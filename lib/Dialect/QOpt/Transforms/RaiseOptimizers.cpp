//===- RaiseOptimizers.cpp - framework optimizers to qopt ops -------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Recognises Adam/AdamW and Muon steps in the elementwise code frameworks
// export and rewrites them to qopt.adam_update / qopt.muon_update.
//
// Recognition is by value, not by shape: the polynomial each element of a
// candidate result computes (ElementwiseAlgebra.h) is compared, with a
// relative tolerance on the constants, to the polynomial of the op's formula
// built from hyper-parameters read off the candidate. Nothing is rewritten
// unless the new weight and every new state tensor match; the producers that
// die are erased, everything else is left as it was.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseAlgebra.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "qopt/Dialect/QOpt/Transforms/RaiseOptimizers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Rewrite/PatternApplicator.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_RAISEOPTIMIZERSPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::algebra;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

static bool isParallel(utils::IteratorType type) {
  return type == utils::IteratorType::parallel;
}

/// Whether `op` can compute an optimizer's new weight: an elementwise linalg
/// op on tensors or an arith / math op on f32 tensors.
static bool isElementwiseProducer(Operation *op) {
  if (!llvm::any_of(op->getResultTypes(), [](Type t) {
        auto tensor = dyn_cast<RankedTensorType>(t);
        return tensor && tensor.getElementType().isF32();
      }))
    return false;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.hasPureTensorSemantics() &&
           llvm::all_of(linalgOp.getIteratorTypesArray(), isParallel);
  return isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) &&
         op->hasTrait<OpTrait::Elementwise>();
}

/// The tensors of `type` computed in `anchor`'s block, at or before
/// `anchor`, from `leaves` (a bounded forward slice): where an optimizer's
/// new state tensors can be.
static SmallVector<Value> stateCandidates(Operation *anchor,
                                          ArrayRef<Value> leaves, Type type) {
  constexpr size_t kMaxSlice = 256;
  Block *block = anchor->getBlock();
  llvm::SetVector<Operation *> slice;
  SmallVector<Value> worklist(leaves.begin(), leaves.end());
  while (!worklist.empty() && slice.size() < kMaxSlice) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      Operation *op = block->findAncestorOpInBlock(*user);
      if (!op || (op != anchor && !op->isBeforeInBlock(anchor)) ||
          !slice.insert(op))
        continue;
      llvm::append_range(worklist, op->getResults());
    }
  }
  SmallVector<Value> candidates;
  for (Operation *op : slice)
    for (Value result : op->getResults())
      if (result.getType() == type)
        candidates.push_back(result);
  return candidates;
}

/// The one factor of a leaf's polynomial (for coefficient look-ups).
static ArrayRef<Factor> factorsOf(const Poly &p) { return p.terms[0].factors; }

/// The elementwise leaves (read element by element, not transposed) of `p`;
/// sets `other` when `p` reads anything else (scalars that are not
/// constants, except those `isHyper` accepts as dynamic hyper-parameters,
/// transposed tensors, a bare step).
static SmallVector<unsigned>
elementLeaves(const Poly &p, ElementwiseAnalysis &ea, bool &other,
              function_ref<bool(const Atom &)> isHyper = nullptr) {
  SmallVector<unsigned> ids;
  walkAtoms(p, [&](const Atom &atom) {
    if (atom.kind == Atom::Kind::Step)
      other = true;
    if (atom.kind != Atom::Kind::Leaf)
      return;
    const Leaf &leaf = ea.getLeaf(atom.leaf);
    if (leaf.scalar && isHyper && isHyper(atom))
      return;
    if (leaf.scalar || leaf.transposed)
      other = true;
    else if (!llvm::is_contained(ids, atom.leaf))
      ids.push_back(atom.leaf);
  });
  return ids;
}

/// The f32 `x` within a few ulps of `estimate` for which the f32 product
/// x * factor is `target` (the constant the raised op's lowering folds, so
/// it reproduces the original's), or `estimate` rounded when there is none.
static float solveProduct(double estimate, float factor, float target) {
  float x = static_cast<float>(estimate);
  float down = x, up = x;
  for (int i = 0; i < 8; ++i) {
    if (down * factor == target)
      return down;
    if (up * factor == target)
      return up;
    down = std::nextafter(down, -INFINITY);
    up = std::nextafter(up, INFINITY);
  }
  return x;
}

//===----------------------------------------------------------------------===//
// Dynamic hyper-parameters
//===----------------------------------------------------------------------===//

namespace {

/// A hyper-parameter read off the code: a constant (`value`) or, when
/// `dynamic` is set, a polynomial in scalars available where the raised op
/// goes (function arguments, 0-d tensors, scalar code on them).
struct Hyper {
  float value = 0.0f;
  std::optional<Poly> dynamic;

  static Hyper constant(float value) { return Hyper{value, std::nullopt}; }
  bool isDynamic() const { return dynamic.has_value(); }
  bool isZero() const { return !dynamic && value == 0.0f; }
  Poly poly() const { return dynamic ? *dynamic : Poly::constant(value); }
};

/// What the matchers need to handle dynamic hyper-parameters: which scalar
/// leaves can be one, and the algebra on polynomials in them.
class HyperAlgebra {
public:
  HyperAlgebra(Operation *anchor, ElementwiseAnalysis &ea, double tolerance)
      : anchor(anchor), ea(ea), tol(tolerance) {}

  /// Whether `atom` is a scalar leaf the raised op can read: an f32 (or a
  /// 0-d / all-ones f32 tensor) defined before the anchor, outside it.
  bool isHyperAtom(const Atom &atom) const {
    if (atom.kind != Atom::Kind::Leaf)
      return false;
    const Leaf &leaf = ea.getLeaf(atom.leaf);
    Type type = leaf.value.getType();
    if (!leaf.scalar || leaf.transposed ||
        !(type.isF32() ||
          (isScalarTensor(type) && getElementTypeOrSelf(type).isF32())))
      return false;
    Value value = leaf.value;
    Operation *ancestor =
        value.getParentBlock()->findAncestorOpInBlock(*anchor);
    if (!ancestor)
      return false;
    Operation *def = value.getDefiningOp();
    return !def || def->isBeforeInBlock(ancestor);
  }

  /// Whether `p` is a hyper-parameter: a polynomial in such leaves (square
  /// roots, reciprocals and absolute values of them included).
  bool isHyperPoly(const Poly &p) const {
    return llvm::all_of(p.terms, [&](const Monomial &m) {
      return llvm::all_of(m.factors, [&](const Factor &f) {
        const Atom &atom = *f.atom;
        if (atom.kind == Atom::Kind::Sqrt || atom.kind == Atom::Kind::Recip ||
            atom.kind == Atom::Kind::Abs)
          return isHyperPoly(*atom.arg);
        return isHyperAtom(atom);
      });
    });
  }

  /// The hyper-parameter `p`, if it is one (a constant, or dynamic).
  std::optional<Hyper> toHyper(const Poly &p) const {
    if (std::optional<double> c = p.getConstant())
      return Hyper::constant(static_cast<float>(*c));
    if (!isHyperPoly(p))
      return std::nullopt;
    return Hyper{0.0f, p};
  }

  /// The sum, over the terms of `p` that have the factors `q` (up to the
  /// tolerance) times hyper-parameter leaves only, of those leaves times
  /// the coefficient: the coefficient of `q` in `p` when it may be dynamic.
  FailureOr<Poly> cofactor(const Poly &p, ArrayRef<Factor> q) const {
    Poly result;
    for (const Monomial &t : p.terms) {
      SmallVector<Factor, 4> rest(t.factors.begin(), t.factors.end());
      bool found = true;
      for (const Factor &f : q) {
        auto it = llvm::find_if(rest, [&](const Factor &g) {
          return g.power >= f.power && approxEqual(*g.atom, *f.atom, tol);
        });
        if (it == rest.end()) {
          found = false;
          break;
        }
        if (it->power == f.power)
          rest.erase(it);
        else
          it->power -= f.power;
      }
      if (!found || !llvm::all_of(rest, [&](const Factor &g) {
            return isHyperAtom(*g.atom);
          }))
        continue;
      Poly term;
      term.terms.push_back(Monomial{t.coeff, std::move(rest)});
      FailureOr<Poly> sum = add(result, term);
      if (failed(sum))
        return failure();
      result = std::move(*sum);
    }
    return result;
  }

  /// num / den for hyper-parameters: exact for a monomial `den`; otherwise
  /// the terms of `num` free of `den`'s non-constant atoms over `den`'s
  /// constant term, checked by multiplying back.
  FailureOr<Poly> divide(const Poly &num, const Poly &den) const {
    if (den.isZero())
      return failure();
    if (den.terms.size() == 1) {
      const Monomial &d = den.terms[0];
      Poly result;
      for (const Monomial &t : num.terms) {
        Monomial m{t.coeff / d.coeff, t.factors};
        for (const Factor &f : d.factors) {
          auto it = llvm::find_if(m.factors, [&](const Factor &g) {
            return g.power >= f.power && compareAtoms(*g.atom, *f.atom) == 0;
          });
          if (it == m.factors.end())
            return failure();
          if (it->power == f.power)
            m.factors.erase(it);
          else
            it->power -= f.power;
        }
        Poly term;
        term.terms.push_back(std::move(m));
        FailureOr<Poly> sum = add(result, term);
        if (failed(sum))
          return failure();
        result = std::move(*sum);
      }
      return result;
    }
    std::optional<double> c0;
    SmallVector<const Atom *> atoms;
    for (const Monomial &m : den.terms) {
      if (m.factors.empty())
        c0 = m.coeff;
      for (const Factor &f : m.factors)
        atoms.push_back(f.atom.get());
    }
    if (!c0)
      return failure();
    Poly q;
    for (const Monomial &t : num.terms)
      if (llvm::none_of(t.factors, [&](const Factor &f) {
            return llvm::any_of(atoms, [&](const Atom *a) {
              return compareAtoms(*a, *f.atom) == 0;
            });
          }))
        q.terms.push_back(Monomial{t.coeff / *c0, t.factors});
    FailureOr<Poly> back = mul(den, q);
    if (failed(back) || !approxEqual(*back, num, tol))
      return failure();
    return q;
  }

  /// `p` times the hyper-parameter `h` (a constant scales).
  FailureOr<Poly> times(const Poly &p, const Hyper &h) const {
    if (!h.isDynamic())
      return scale(p, h.value);
    return mul(p, *h.dynamic);
  }

  /// 1 - h, folded in f32 for a constant as the lowering folds it.
  Hyper oneMinus(const Hyper &h) const {
    if (!h.isDynamic())
      return Hyper::constant(1.0f - h.value);
    FailureOr<Poly> d = sub(Poly::constant(1.0), *h.dynamic);
    return succeeded(d) ? Hyper{0.0f, *d} : Hyper::constant(NAN);
  }

  /// Where an epsilon can be, in the square roots' and reciprocals'
  /// arguments: positive constant terms, then the sum of the terms that are
  /// dynamic hyper-parameters.
  SmallVector<Hyper, 4> epsilonCandidates(const Poly &p) const {
    SmallVector<Hyper, 4> eps;
    SmallVector<double> seen;
    SmallVector<Poly, 2> dynamic;
    walkAtoms(p, [&](const Atom &atom) {
      if (atom.kind != Atom::Kind::Sqrt && atom.kind != Atom::Kind::Recip)
        return;
      Poly hyper;
      for (const Monomial &m : atom.arg->terms) {
        if (m.factors.empty() && m.coeff > 0.0 &&
            !llvm::is_contained(seen, m.coeff)) {
          seen.push_back(m.coeff);
          eps.push_back(Hyper::constant(static_cast<float>(m.coeff)));
        }
        Poly term;
        term.terms.push_back(m);
        if (!m.factors.empty() && isHyperPoly(term))
          hyper.terms.push_back(m);
      }
      if (!hyper.isZero() && llvm::none_of(dynamic, [&](const Poly &d) {
            return comparePolys(d, hyper) == 0;
          }))
        dynamic.push_back(std::move(hyper));
    });
    for (Poly &d : dynamic)
      eps.push_back(Hyper{0.0f, std::move(d)});
    return eps;
  }

  /// Builds `h` as an f32 SSA value (a dynamic hyper-parameter), before
  /// `builder`'s insertion point: the leaves (tensor.extract of 0-d
  /// tensors) and arith / math ops on them. A coefficient within the
  /// tolerance of 1 or -1 is taken to be it.
  Value materialize(OpBuilder &b, Location loc, const Poly &p) {
    Value sum;
    for (const Monomial &m : p.terms) {
      Value prod;
      for (const Factor &f : m.factors) {
        Value x = materializeAtom(b, loc, *f.atom);
        for (unsigned i = 0; i < f.power; ++i)
          prod = prod ? arith::MulFOp::create(b, loc, prod, x).getResult() : x;
      }
      double c = m.coeff;
      bool negate = false;
      if (approxEqual(c, -1.0, tol)) {
        negate = true;
        c = 1.0;
      }
      if (!prod || !approxEqual(c, 1.0, tol)) {
        Value k = arith::ConstantOp::create(
            b, loc, b.getF32FloatAttr(static_cast<float>(c)));
        prod = prod ? arith::MulFOp::create(b, loc, k, prod).getResult() : k;
      }
      if (negate && !sum)
        prod = arith::NegFOp::create(b, loc, prod);
      if (!sum)
        sum = prod;
      else if (negate)
        sum = arith::SubFOp::create(b, loc, sum, prod);
      else
        sum = arith::AddFOp::create(b, loc, sum, prod);
    }
    if (!sum)
      sum = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    return sum;
  }

private:
  Value materializeAtom(OpBuilder &b, Location loc, const Atom &atom) {
    switch (atom.kind) {
    case Atom::Kind::Sqrt:
      return math::SqrtOp::create(b, loc, materialize(b, loc, *atom.arg));
    case Atom::Kind::Abs:
      return math::AbsFOp::create(b, loc, materialize(b, loc, *atom.arg));
    case Atom::Kind::Recip:
      return arith::DivFOp::create(
          b, loc, arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f)),
          materialize(b, loc, *atom.arg));
    case Atom::Kind::Leaf:
    case Atom::Kind::Step:
    case Atom::Kind::PowStep:
      break;
    }
    // A scalar leaf (isHyperPoly admits no other atom).
    if (Value done = leafValues.lookup(atom.leaf))
      return done;
    Value v = ea.getLeaf(atom.leaf).value;
    if (auto tensor = dyn_cast<RankedTensorType>(v.getType())) {
      SmallVector<Value> indices;
      if (tensor.getRank() > 0)
        indices.assign(tensor.getRank(),
                       arith::ConstantIndexOp::create(b, loc, 0));
      v = tensor::ExtractOp::create(b, loc, v, indices);
    }
    leafValues[atom.leaf] = v;
    return v;
  }

  Operation *anchor;
  ElementwiseAnalysis &ea;
  double tol;
  DenseMap<unsigned, Value> leafValues;
};

} // namespace

/// The dynamic hyper-parameter `h` as an SSA value, or null for a constant.
static Value materializeHyper(OpBuilder &b, Location loc, HyperAlgebra &ha,
                              const Hyper &h) {
  return h.isDynamic() ? ha.materialize(b, loc, *h.dynamic) : Value();
}

/// Erases the ops of `ops` in `block` that the rewrite left without users,
/// then, transitively, the ops of `block` whose results only they used
/// (constants, tensor.empty, fills), except those that were dead before.
static void
eraseDeadProducers(PatternRewriter &rewriter, Block *block,
                   ArrayRef<Operation *> ops,
                   const llvm::SmallPtrSetImpl<Operation *> &deadBefore) {
  llvm::SetVector<Operation *> worklist;
  for (Operation *op : ops)
    if (op->getBlock() == block && !deadBefore.contains(op))
      worklist.insert(op);
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> pending(worklist.begin(), worklist.end());
    // Users before producers.
    llvm::sort(pending, [](Operation *a, Operation *b) {
      return b->isBeforeInBlock(a);
    });
    for (Operation *op : pending) {
      if (!worklist.contains(op) || !isOpTriviallyDead(op))
        continue;
      // What `op` and its regions read from `block`.
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands()) {
          Operation *def = operand.getDefiningOp();
          if (def && def != op && def->getBlock() == block &&
              !deadBefore.contains(def))
            worklist.insert(def);
        }
      });
      worklist.remove(op);
      rewriter.eraseOp(op);
      changed = true;
    }
  }
}

static llvm::SmallPtrSet<Operation *, 16> deadOps(Block *block,
                                                  ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 16> dead;
  for (Operation *op : ops)
    if (op->getBlock() == block && isOpTriviallyDead(op))
      dead.insert(op);
  return dead;
}

//===----------------------------------------------------------------------===//
// Adam / AdamW
//===----------------------------------------------------------------------===//

namespace {

/// A recognised Adam step: operands, results and attributes of the
/// qopt.adam_update that replaces it.
struct AdamMatch {
  Value weight, grad, moment1, moment2;
  std::optional<StepRef> step;
  Value newWeight, newMoment1, newMoment2;
  Hyper lr, beta1, beta2, epsilon, weightDecay;
  bool biasCorrection, epsilonInsideSqrt, decoupled;
};

/// Recognises an Adam/AdamW step whose new weight is `newWeight` (see the
/// pass description for the forms).
class AdamMatcher {
public:
  AdamMatcher(Operation *anchor, ElementwiseAnalysis &ea, HyperAlgebra &ha,
              double tolerance)
      : anchor(anchor), ea(ea), ha(ha), tol(tolerance) {}

  std::optional<AdamMatch> match(Value newWeight);

private:
  struct Roles {
    Value w, g, m, v;
    Poly pw, pg, pm, pv;
  };
  std::optional<AdamMatch> matchRoles(const Roles &r, Value newWeight,
                                      const Poly &pNewW,
                                      ArrayRef<std::pair<Value, Poly>> linear,
                                      ArrayRef<std::pair<Value, Poly>> squares,
                                      ArrayRef<const Atom *> pows);

  Operation *anchor;
  ElementwiseAnalysis &ea;
  HyperAlgebra &ha;
  double tol;
};

} // namespace

std::optional<AdamMatch> AdamMatcher::match(Value newWeight) {
  auto type = dyn_cast<RankedTensorType>(newWeight.getType());
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  FailureOr<Poly> pNewW = ea.element(newWeight);
  if (failed(pNewW))
    return std::nullopt;

  // The weight update reads four tensors (w, g, m, v), constants and the
  // bias corrections' powers of one step, through a square root and a
  // reciprocal.
  bool other = false, hasSqrt = false, hasRecip = false;
  auto isHyper = [&](const Atom &atom) { return ha.isHyperAtom(atom); };
  SmallVector<unsigned> ids = elementLeaves(*pNewW, ea, other, isHyper);
  SmallVector<const Atom *> pows;
  walkAtoms(*pNewW, [&](const Atom &atom) {
    hasSqrt |= atom.kind == Atom::Kind::Sqrt;
    hasRecip |= atom.kind == Atom::Kind::Recip;
    if (atom.kind == Atom::Kind::PowStep &&
        llvm::none_of(
            pows, [&](const Atom *p) { return compareAtoms(*p, atom) == 0; }))
      pows.push_back(&atom);
  });
  if (other || !hasSqrt || !hasRecip || ids.size() != 4 || pows.size() > 2)
    return std::nullopt;
  if (pows.size() == 2 && !(pows[0]->step == pows[1]->step))
    return std::nullopt;
  SmallVector<Value> leaves;
  for (unsigned id : ids) {
    leaves.push_back(ea.getLeaf(id).value);
    if (leaves.back().getType() != type)
      return std::nullopt;
  }

  // m' is linear in the leaves, v' has their squares.
  SmallVector<std::pair<Value, Poly>, 2> linear, squares;
  for (Value candidate : stateCandidates(anchor, leaves, type)) {
    if (candidate == newWeight)
      continue;
    FailureOr<Poly> p = ea.element(candidate);
    if (failed(p) || p->terms.size() < 2)
      continue;
    bool isLinear = true, isQuadratic = true;
    for (const Monomial &m : p->terms) {
      unsigned degree = 0;
      for (const Factor &f : m.factors) {
        // Dynamic hyper-parameters are coefficients.
        if (ha.isHyperAtom(*f.atom))
          continue;
        if (f.atom->kind != Atom::Kind::Leaf ||
            !llvm::is_contained(ids, f.atom->leaf))
          isLinear = isQuadratic = false;
        degree += f.power;
      }
      isLinear &= degree == 1;
      isQuadratic &= degree == 1 || degree == 2;
    }
    if (isLinear)
      linear.emplace_back(candidate, *p);
    else if (isQuadratic)
      squares.emplace_back(candidate, *p);
  }
  if (linear.empty() || squares.empty())
    return std::nullopt;

  std::array<unsigned, 4> perm = {0, 1, 2, 3};
  do {
    Roles r;
    r.w = leaves[perm[0]];
    r.g = leaves[perm[1]];
    r.m = leaves[perm[2]];
    r.v = leaves[perm[3]];
    r.pw = ea.leafPoly(r.w);
    r.pg = ea.leafPoly(r.g);
    r.pm = ea.leafPoly(r.m);
    r.pv = ea.leafPoly(r.v);
    if (std::optional<AdamMatch> found =
            matchRoles(r, newWeight, *pNewW, linear, squares, pows))
      return found;
  } while (std::next_permutation(perm.begin(), perm.end()));
  return std::nullopt;
}

std::optional<AdamMatch>
AdamMatcher::matchRoles(const Roles &r, Value newWeight, const Poly &pNewW,
                        ArrayRef<std::pair<Value, Poly>> linear,
                        ArrayRef<std::pair<Value, Poly>> squares,
                        ArrayRef<const Atom *> pows) {
  // Hyper-parameters are read off the code as constants when they are (in
  // f32, as the lowering folds them), as polynomials in scalars otherwise.
  for (const auto &[newM, pNewM] : linear) {
    // m' = b1 m + c1 (g + l2 w), c1 ~ 1 - b1.
    FailureOr<Poly> b1p = ha.cofactor(pNewM, factorsOf(r.pm));
    FailureOr<Poly> c1p = ha.cofactor(pNewM, factorsOf(r.pg));
    FailureOr<Poly> l2p = ha.cofactor(pNewM, factorsOf(r.pw));
    if (failed(b1p) || failed(c1p) || failed(l2p) || c1p->isZero())
      continue;
    std::optional<Hyper> beta1 = ha.toHyper(*b1p);
    if (!beta1 || (!beta1->isDynamic() &&
                   !(*b1p->getConstant() > 0.0 && *b1p->getConstant() < 1.0)))
      continue;
    FailureOr<Poly> oneMinusB1 = sub(Poly::constant(1.0), *b1p);
    if (failed(oneMinusB1) || !approxEqual(*c1p, *oneMinusB1, tol))
      continue;
    if (!beta1->isDynamic())
      beta1 = Hyper::constant(static_cast<float>(*b1p->getConstant()));
    std::optional<Hyper> l2 = Hyper::constant(0.0f);
    if (!l2p->isZero()) {
      std::optional<double> l2c = l2p->getConstant(), c1 = c1p->getConstant();
      if (l2c && c1) {
        l2 = Hyper::constant(static_cast<float>(*l2c / *c1));
      } else {
        FailureOr<Poly> q = ha.divide(*l2p, *c1p);
        if (failed(q))
          continue;
        l2 = ha.toHyper(*q);
      }
      if (!l2 || (!l2->isDynamic() &&
                  (!(l2->value >= 0.0f) || !std::isfinite(l2->value))))
        continue;
    }
    FailureOr<Poly> ge = r.pg;
    if (!l2->isZero()) {
      FailureOr<Poly> decay = ha.times(r.pw, *l2);
      ge = succeeded(decay) ? add(r.pg, *decay) : FailureOr<Poly>(failure());
    }
    if (failed(ge))
      continue;
    // The reference moment, computed as the lowering computes it.
    FailureOr<Poly> mPart = ha.times(r.pm, *beta1);
    FailureOr<Poly> gPart = ha.times(*ge, ha.oneMinus(*beta1));
    if (failed(mPart) || failed(gPart))
      continue;
    FailureOr<Poly> refM = add(*mPart, *gPart);
    if (failed(refM) || !approxEqual(pNewM, *refM, tol))
      continue;
    FailureOr<Poly> ge2 = mul(*ge, *ge);
    if (failed(ge2))
      continue;

    for (const auto &[newV, pNewV] : squares) {
      FailureOr<Poly> b2p = ha.cofactor(pNewV, factorsOf(r.pv));
      if (failed(b2p))
        continue;
      std::optional<Hyper> beta2 = ha.toHyper(*b2p);
      if (!beta2 || (!beta2->isDynamic() &&
                     !(*b2p->getConstant() > 0.0 && *b2p->getConstant() < 1.0)))
        continue;
      FailureOr<Poly> vPart = ha.times(r.pv, *beta2);
      FailureOr<Poly> g2Part = ha.times(*ge2, ha.oneMinus(*beta2));
      if (failed(vPart) || failed(g2Part))
        continue;
      FailureOr<Poly> refV = add(*vPart, *g2Part);
      if (failed(refV) || !approxEqual(pNewV, *refV, tol))
        continue;

      for (bool biasCorrection : {true, false}) {
        Poly mHat = *refM, vHat = *refV;
        std::optional<StepRef> step;
        if (biasCorrection) {
          // The powers' bases are the betas.
          auto powOf = [&](const Hyper &beta) -> const Atom * {
            for (const Atom *p : pows) {
              if (beta.isDynamic()
                      ? p->arg && approxEqual(*p->arg, *beta.dynamic, tol)
                      : !p->arg && approxEqual(p->base, beta.value, tol))
                return p;
            }
            return nullptr;
          };
          const Atom *pow1 = powOf(*beta1), *pow2 = powOf(*beta2);
          if (!pow1 || !pow2 || !canMaterializeStep(pow1->step))
            continue;
          step = pow1->step;
          auto copy = [](const Atom *atom) {
            return Poly::atom(std::make_shared<const Atom>(*atom));
          };
          FailureOr<Poly> bc1 = sub(Poly::constant(1.0), copy(pow1));
          FailureOr<Poly> bc2 = sub(Poly::constant(1.0), copy(pow2));
          if (failed(bc1) || failed(bc2))
            continue;
          FailureOr<Poly> r1 = recip(*bc1), r2 = recip(*bc2);
          if (failed(r1) || failed(r2))
            continue;
          FailureOr<Poly> m1 = mul(*refM, *r1), v1 = mul(*refV, *r2);
          if (failed(m1) || failed(v1))
            continue;
          mHat = std::move(*m1);
          vHat = std::move(*v1);
        } else if (!pows.empty()) {
          continue;
        }

        for (bool inside : {false, true}) {
          for (const Hyper &eps : ha.epsilonCandidates(pNewW)) {
            Poly epsPoly = eps.poly();
            FailureOr<Poly> denom = failure();
            if (inside) {
              FailureOr<Poly> shifted = add(vHat, epsPoly);
              if (succeeded(shifted))
                denom = algebra::sqrt(*shifted);
            } else {
              FailureOr<Poly> root = algebra::sqrt(vHat);
              if (succeeded(root))
                denom = add(*root, epsPoly);
            }
            if (failed(denom))
              continue;
            FailureOr<Poly> inv = recip(*denom);
            if (failed(inv))
              continue;
            FailureOr<Poly> direction = mul(mHat, *inv);
            if (failed(direction) || direction->isZero())
              continue;
            // lr from the direction's term in m: its coefficient is exact
            // (beta1 is read off m'), unlike 1 - beta1's.
            unsigned mLeaf = factorsOf(r.pm)[0].atom->leaf;
            const Monomial *q = nullptr;
            for (const Monomial &t : direction->terms)
              if (llvm::any_of(t.factors, [&](const Factor &f) {
                    return f.atom->kind == Atom::Kind::Leaf &&
                           f.atom->leaf == mLeaf;
                  }))
                q = &t;
            if (!q)
              continue;
            FailureOr<Poly> lrTimesQ = ha.cofactor(pNewW, q->factors);
            if (failed(lrTimesQ) || lrTimesQ->isZero())
              continue;
            std::optional<Hyper> lr;
            if (std::optional<double> c = lrTimesQ->getConstant()) {
              double lrValue = -*c / q->coeff;
              if (!(lrValue > 0.0) || !std::isfinite(lrValue))
                continue;
              lr = Hyper::constant(static_cast<float>(lrValue));
            } else {
              lr = ha.toHyper(scale(*lrTimesQ, -1.0 / q->coeff));
              if (!lr)
                continue;
            }
            // w' = kw w - lr d: kw = 1 - lr wd (decoupled decay), or 1 with
            // L2 decay.
            FailureOr<Poly> kw = ha.cofactor(pNewW, factorsOf(r.pw));
            if (failed(kw))
              continue;
            bool decoupled = l2->isZero();
            Hyper wd = *l2;
            std::optional<double> kwc = kw->getConstant();
            if (decoupled && !lr->isDynamic() && kwc) {
              double decay = (1.0 - *kwc) / lr->value;
              if (!(decay >= 0.0) || !std::isfinite(decay))
                continue;
              wd = Hyper::constant(solveProduct(
                  decay, lr->value, static_cast<float>(1.0 - *kwc)));
            } else if (decoupled) {
              FailureOr<Poly> decay = sub(Poly::constant(1.0), *kw);
              if (failed(decay))
                continue;
              FailureOr<Poly> q = ha.divide(*decay, lr->poly());
              if (failed(q))
                continue;
              std::optional<Hyper> h = ha.toHyper(*q);
              if (!h || (!h->isDynamic() &&
                         (!(h->value >= 0.0f) || !std::isfinite(h->value))))
                continue;
              wd = *h;
            }
            FailureOr<Poly> refW = failure();
            if (!lr->isDynamic() && !wd.isDynamic()) {
              float lrWd = lr->value * wd.value;
              Poly keep = scale(
                  r.pw, decoupled ? 1.0 - static_cast<double>(lrWd) : 1.0);
              refW = add(keep, scale(*direction, -lr->value));
            } else {
              FailureOr<Poly> keep = r.pw;
              if (decoupled) {
                FailureOr<Poly> lrWd = ha.times(lr->poly(), wd);
                FailureOr<Poly> k = failure();
                if (succeeded(lrWd))
                  k = sub(Poly::constant(1.0), *lrWd);
                keep = failure();
                if (succeeded(k))
                  keep = mul(r.pw, *k);
              }
              FailureOr<Poly> step = ha.times(*direction, *lr);
              if (succeeded(keep) && succeeded(step))
                refW = sub(*keep, *step);
            }
            if (failed(refW) || !approxEqual(pNewW, *refW, tol))
              continue;
            return AdamMatch{r.w,    r.g,
                             r.m,    r.v,
                             step,   newWeight,
                             newM,   newV,
                             *lr,    *beta1,
                             *beta2, eps,
                             wd,     biasCorrection,
                             inside, decoupled};
          }
        }
      }
    }
  }
  return std::nullopt;
}

namespace {

/// Raises an Adam/AdamW step to qopt.adam_update. Anchored on the op that
/// computes the new weight; the new moments are tensors computed in the
/// same block before it (or by it).
struct RaiseAdamPattern : RewritePattern {
  RaiseAdamPattern(MLIRContext *context, double tolerance)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context),
        tolerance(tolerance) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isElementwiseProducer(op))
      return rewriter.notifyMatchFailure(op, "not elementwise on tensors");
    ElementwiseAnalysis ea;
    HyperAlgebra ha(op, ea, tolerance);
    AdamMatcher matcher(op, ea, ha, tolerance);
    for (Value result : op->getResults()) {
      std::optional<AdamMatch> m = matcher.match(result);
      if (!m)
        continue;
      Block *block = op->getBlock();
      SmallVector<Operation *> producers(ea.getExpandedOps());
      llvm::SmallPtrSet<Operation *, 16> deadBefore = deadOps(block, producers);

      Location loc = op->getLoc();
      rewriter.setInsertionPointAfter(op);
      Value step = m->step ? materializeStep(rewriter, loc, *m->step)
                           : arith::ConstantOp::create(
                                 rewriter, loc, rewriter.getI64IntegerAttr(1))
                                 .getResult();
      // A constant is an attribute (omitted at its default, except lr); a
      // dynamic hyper-parameter an operand, built before the op.
      auto attr = [&](const Hyper &h, std::optional<float> def) -> FloatAttr {
        if (h.isDynamic() || (def && h.value == *def))
          return {};
        return rewriter.getF32FloatAttr(h.value);
      };
      auto operand = [&](const Hyper &h) {
        return materializeHyper(rewriter, loc, ha, h);
      };
      Value dynLr = operand(m->lr), dynBeta1 = operand(m->beta1),
            dynBeta2 = operand(m->beta2), dynEps = operand(m->epsilon),
            dynWd = operand(m->weightDecay);
      Type type = m->weight.getType();
      auto adam = AdamUpdateOp::create(
          rewriter, loc, type, type, type, m->weight, m->grad, m->moment1,
          m->moment2, step, dynLr, dynBeta1, dynBeta2, dynEps, dynWd,
          attr(m->lr, std::nullopt), attr(m->beta1, 0.9f),
          attr(m->beta2, 0.999f), attr(m->epsilon, 1.0e-8f),
          attr(m->weightDecay, 0.0f),
          m->biasCorrection ? BoolAttr() : rewriter.getBoolAttr(false),
          m->epsilonInsideSqrt ? rewriter.getBoolAttr(true) : BoolAttr(),
          m->decoupled ? BoolAttr() : rewriter.getBoolAttr(false));
      rewriter.replaceAllUsesWith(m->newWeight, adam.getNewWeight());
      rewriter.replaceAllUsesWith(m->newMoment1, adam.getNewMoment1());
      rewriter.replaceAllUsesWith(m->newMoment2, adam.getNewMoment2());
      eraseDeadProducers(rewriter, block, producers, deadBefore);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "computes no Adam step");
  }

  double tolerance;
};

} // namespace

//===----------------------------------------------------------------------===//
// Muon
//===----------------------------------------------------------------------===//

/// The source of a 2-D transpose (linalg.transpose, or a linalg.generic
/// that copies its input through a (d0, d1) -> (d1, d0) map), or null.
static Value transposeSource(Value value) {
  if (auto t = value.getDefiningOp<linalg::TransposeOp>()) {
    if (t.hasPureTensorSemantics() &&
        t.getPermutation() == ArrayRef<int64_t>{1, 0})
      return t.getInput();
    return nullptr;
  }
  auto generic = value.getDefiningOp<linalg::GenericOp>();
  if (!generic || !generic.hasPureTensorSemantics() ||
      generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getNumLoops() != 2 ||
      !llvm::all_of(generic.getIteratorTypesArray(), isParallel))
    return nullptr;
  OpOperand *in = generic.getDpsInputOperand(0);
  AffineMap inMap = generic.getMatchingIndexingMap(in);
  AffineMap outMap =
      generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
  if (!outMap.isIdentity() || !inMap.isPermutation() || inMap.isIdentity())
    return nullptr;
  Value yielded = generic.getBody()->getTerminator()->getOperand(0);
  if (yielded != generic.getMatchingBlockArgument(in))
    return nullptr;
  return in->get();
}

namespace {

/// A linalg.matmul on f32 tensors: C = init + lhs * (rhs or rhs^T).
struct MatmulParts {
  Value lhs, rhs, init;
  bool rhsTransposed = false;
};

} // namespace

static std::optional<MatmulParts> getMatmul(Value value) {
  auto mm = value.getDefiningOp<linalg::MatmulOp>();
  if (!mm || !mm.hasPureTensorSemantics() ||
      !llvm::all_of(mm->getOperandTypes(),
                    [](Type t) { return getElementTypeOrSelf(t).isF32(); }))
    return std::nullopt;
  MLIRContext *ctx = mm.getContext();
  SmallVector<AffineMap> maps = mm.getIndexingMapsArray();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](ArrayRef<AffineExpr> results) {
    return AffineMap::get(3, 0, results, ctx);
  };
  MatmulParts parts{mm.getInputs()[0], mm.getInputs()[1], mm.getOutputs()[0]};
  if (maps == SmallVector<AffineMap>{map({m, k}), map({k, n}), map({m, n})})
    return parts;
  if (maps == SmallVector<AffineMap>{map({m, k}), map({n, k}), map({m, n})}) {
    parts.rhsTransposed = true;
    return parts;
  }
  return std::nullopt;
}

/// Whether `value` is a tensor of zeros (linalg.fill of 0, a zero splat).
static bool isZeros(Value value, ElementwiseAnalysis &ea) {
  FailureOr<Poly> p = ea.element(value);
  return succeeded(p) && p->isZero();
}

/// A product lhs * rhs (rhs transposed as asked) into zeros.
static bool isProduct(Value value, Value lhs, Value rhs, bool transposedRhs,
                      ElementwiseAnalysis &ea) {
  std::optional<MatmulParts> mm = getMatmul(value);
  if (!mm || mm->lhs != lhs || !isZeros(mm->init, ea))
    return false;
  if (!transposedRhs)
    return !mm->rhsTransposed && mm->rhs == rhs;
  return mm->rhsTransposed ? mm->rhs == rhs : transposeSource(mm->rhs) == rhs;
}

namespace {

/// The Newton-Schulz iteration of Muon: ns_steps times
/// X = a X + (b A + c A A) X with A = X X^T.
struct NewtonSchulz {
  int64_t steps;
  std::array<float, 3> coeffs;
};

} // namespace

/// Recognises `loop` as the Newton-Schulz iteration (see the pass
/// description for the accepted forms of one step).
static std::optional<NewtonSchulz> matchNewtonSchulz(scf::ForOp loop,
                                                     ElementwiseAnalysis &ea) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> st = getConstantIntValue(loop.getStep());
  if (!lb || !ub || !st || *st <= 0 || *ub <= *lb ||
      loop.getNumRegionIterArgs() != 1)
    return std::nullopt;
  int64_t trips = (*ub - *lb + *st - 1) / *st;
  Value x = loop.getRegionIterArgs()[0];
  Value y = loop.getBody()->getTerminator()->getOperand(0);
  // A copy back into the carried tensor (so bufferization updates it in
  // place) changes no value.
  if (auto copy = y.getDefiningOp<linalg::CopyOp>();
      copy && copy.hasPureTensorSemantics())
    y = copy.getInputs()[0];

  // y = a X + P X, as a matmul accumulating onto a X, or a sum.
  std::optional<double> a;
  Value poly;
  if (std::optional<MatmulParts> mm = getMatmul(y);
      mm && !mm->rhsTransposed && mm->rhs == x) {
    FailureOr<Poly> init = ea.element(mm->init);
    Poly px = ea.leafPoly(x);
    if (succeeded(init) && init->terms.size() == 1) {
      Poly unit;
      unit.terms.push_back(Monomial{1.0, init->terms[0].factors});
      if (comparePolys(unit, px) == 0) {
        a = init->terms[0].coeff;
        poly = mm->lhs;
      }
    }
  } else {
    FailureOr<Poly> py = ea.element(y);
    if (failed(py) || py->terms.size() != 2)
      return std::nullopt;
    Poly px = ea.leafPoly(x);
    double ax = py->coefficientOf(factorsOf(px));
    for (const Monomial &t : py->terms) {
      if (t.factors.size() != 1 || t.factors[0].power != 1 ||
          t.factors[0].atom->kind != Atom::Kind::Leaf || t.coeff != 1.0)
        continue;
      const Leaf &leaf = ea.getLeaf(t.factors[0].atom->leaf);
      std::optional<MatmulParts> mm = getMatmul(leaf.value);
      if (leaf.scalar || leaf.transposed || !mm || mm->rhsTransposed ||
          mm->rhs != x || !isZeros(mm->init, ea))
        continue;
      a = ax;
      poly = mm->lhs;
    }
  }
  if (!a || *a == 0.0 || !poly)
    return std::nullopt;

  // P = b A + c A A with A = X X^T.
  FailureOr<Poly> pp = ea.element(poly);
  if (failed(pp) || pp->terms.size() != 2)
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    const Monomial &ta = pp->terms[i], &taa = pp->terms[1 - i];
    if (ta.factors.size() != 1 || taa.factors.size() != 1 ||
        ta.factors[0].power != 1 || taa.factors[0].power != 1 ||
        ta.factors[0].atom->kind != Atom::Kind::Leaf ||
        taa.factors[0].atom->kind != Atom::Kind::Leaf)
      continue;
    const Leaf la = ea.getLeaf(ta.factors[0].atom->leaf);
    const Leaf laa = ea.getLeaf(taa.factors[0].atom->leaf);
    if (la.scalar || la.transposed || laa.scalar || laa.transposed)
      continue;
    if (!isProduct(la.value, x, x, /*transposedRhs=*/true, ea) ||
        !isProduct(laa.value, la.value, la.value, /*transposedRhs=*/false, ea))
      continue;
    return NewtonSchulz{trips,
                        {static_cast<float>(*a), static_cast<float>(ta.coeff),
                         static_cast<float>(taa.coeff)}};
  }
  return std::nullopt;
}

/// If `value` is the sum of all the elements of f(T) (full) or a partial sum
/// over some dimensions (not full), with f(x) = x or x^2 (x * x, powf(x, 2),
/// |x|^2), returns T and whether f squares; into zeros, in a linalg op whose
/// reduced dimensions are exactly those the result drops.
static std::optional<std::pair<Value, bool>> matchSum(Value value, bool full,
                                                      ElementwiseAnalysis &ea) {
  auto op = value.getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  OpOperand *in = op.getDpsInputOperand(0);
  OpOperand *out = op.getDpsInitOperand(0);
  if (!op.getMatchingIndexingMap(in).isPermutation())
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(out);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    bool kept = outMap.isFunctionOfDim(d);
    if (kept == (iterators[d] == utils::IteratorType::reduction))
      return std::nullopt;
    if (full && kept && ranges[d] != 1)
      return std::nullopt;
  }
  if (full && !isScalarTensor(out->get().getType()))
    return std::nullopt;
  FailureOr<Poly> init = full ? ea.scalar(out->get()) : ea.element(out->get());
  if (failed(init) || !init->isZero())
    return std::nullopt;

  Block *body = op.getBlock();
  Value x = op.getMatchingBlockArgument(in);
  Value acc = op.getMatchingBlockArgument(out);
  auto add =
      body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value s = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if (s == acc || (add.getLhs() != acc && add.getRhs() != acc))
    return std::nullopt;
  auto isX = [&](Value v) {
    if (auto absOp = v.getDefiningOp<math::AbsFOp>())
      v = absOp.getOperand();
    return v == x;
  };
  if (s == x)
    return std::make_pair(in->get(), false);
  if (auto m = s.getDefiningOp<arith::MulFOp>();
      m && isX(m.getLhs()) && isX(m.getRhs()))
    return std::make_pair(in->get(), true);
  if (auto p = s.getDefiningOp<math::PowFOp>(); p && isX(p.getLhs())) {
    std::optional<double> e = getF32Constant(p.getRhs());
    if (e && *e == 2.0)
      return std::make_pair(in->get(), true);
  }
  return std::nullopt;
}

/// Whether the scalar `norm` is the sum of the squares of all the elements
/// of a tensor whose elements are `u`.
static bool isSumOfSquares(Value norm, const Poly &u, ElementwiseAnalysis &ea,
                           double tol) {
  std::optional<std::pair<Value, bool>> sum = matchSum(norm, true, ea);
  if (!sum)
    return false;
  // A sum over rows of the rows' sums.
  if (!sum->second)
    if (std::optional<std::pair<Value, bool>> inner =
            matchSum(sum->first, false, ea))
      sum = inner;
  // The sum is the same over the transpose.
  Value t = sum->first;
  if (Value source = transposeSource(t))
    t = source;
  FailureOr<Poly> pt = ea.element(t);
  if (failed(pt))
    return false;
  if (sum->second)
    return approxEqual(*pt, u, tol);
  FailureOr<Poly> u2 = mul(u, u);
  return succeeded(u2) && approxEqual(*pt, *u2, tol);
}

namespace {

/// A recognised Muon step.
struct MuonMatch {
  Value weight, grad, buffer, newWeight, newBuffer;
  Hyper lr;
  float momentum, epsilon;
  Hyper weightDecay;
  bool nesterov;
  NewtonSchulz ns;
  SmallVector<Operation *> ops;
};

} // namespace

/// Recognises a Muon step whose new weight is `newWeight` (see the pass
/// description).
static std::optional<MuonMatch> matchMuon(Operation *anchor, Value newWeight,
                                          ElementwiseAnalysis &ea,
                                          HyperAlgebra &ha, double tol) {
  auto type = dyn_cast<RankedTensorType>(newWeight.getType());
  if (!type || !type.getElementType().isF32() || type.getRank() != 2 ||
      !type.hasStaticShape())
    return std::nullopt;
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  bool tall = rows > cols;
  FailureOr<Poly> pNewW = ea.element(newWeight);
  if (failed(pNewW))
    return std::nullopt;
  // W' = kw W + kx X, the coefficients constants or, with a dynamic lr or
  // weight decay, polynomials in scalars: group the terms by the one
  // tensor leaf each reads.
  SmallVector<std::pair<AtomPtr, Poly>, 2> groups;
  for (const Monomial &t : pNewW->terms) {
    AtomPtr tensorLeaf;
    Monomial coeff{t.coeff, {}};
    for (const Factor &f : t.factors) {
      if (ha.isHyperAtom(*f.atom)) {
        coeff.factors.push_back(f);
        continue;
      }
      if (tensorLeaf || f.power != 1 || f.atom->kind != Atom::Kind::Leaf)
        return std::nullopt;
      tensorLeaf = f.atom;
    }
    if (!tensorLeaf)
      return std::nullopt;
    auto it = llvm::find_if(groups, [&](const auto &g) {
      return g.first->leaf == tensorLeaf->leaf;
    });
    if (it == groups.end()) {
      groups.push_back({tensorLeaf, Poly()});
      it = std::prev(groups.end());
    }
    Poly term;
    term.terms.push_back(std::move(coeff));
    FailureOr<Poly> sum = add(it->second, term);
    if (failed(sum))
      return std::nullopt;
    it->second = std::move(*sum);
  }
  if (groups.size() != 2)
    return std::nullopt;

  for (int i = 0; i < 2; ++i) {
    // X is the Newton-Schulz result (transposed back when the iteration
    // ran on the transpose).
    const Poly kwPoly = groups[i].second, kxPoly = groups[1 - i].second;
    const Leaf lw = ea.getLeaf(groups[i].first->leaf);
    const Leaf lx = ea.getLeaf(groups[1 - i].first->leaf);
    if (lw.scalar || lw.transposed || lx.scalar || lw.value.getType() != type)
      continue;
    SmallVector<Operation *> ops;
    bool transposedOut = lx.transposed;
    Value x = lx.value;
    if (Value source = transposeSource(x)) {
      ops.push_back(x.getDefiningOp());
      x = source;
      transposedOut = !transposedOut;
    }
    auto loop = x.getDefiningOp<scf::ForOp>();
    if (!loop || loop->getNumResults() != 1 || transposedOut != tall)
      continue;
    auto iterType = dyn_cast<RankedTensorType>(loop.getResult(0).getType());
    if (!iterType || !iterType.hasStaticShape() ||
        iterType.getShape() !=
            ArrayRef<int64_t>{std::min(rows, cols), std::max(rows, cols)})
      continue;
    std::optional<NewtonSchulz> ns = matchNewtonSchulz(loop, ea);
    if (!ns || ns->steps > 100)
      continue;
    ops.push_back(loop);

    // X0 = U / (||U||_F + eps), transposed when tall.
    Value x0 = loop.getInitArgs()[0];
    bool transposedIn = false;
    if (Value source = transposeSource(x0)) {
      ops.push_back(x0.getDefiningOp());
      x0 = source;
      transposedIn = true;
    }
    FailureOr<Poly> p0 = ea.element(x0);
    if (failed(p0) || p0->isZero())
      continue;
    // The reciprocal every term shares.
    const Atom *denom = nullptr;
    for (const Factor &f : p0->terms[0].factors) {
      if (f.atom->kind != Atom::Kind::Recip || f.power != 1)
        continue;
      bool everywhere = llvm::all_of(p0->terms, [&](const Monomial &m) {
        return llvm::any_of(m.factors, [&](const Factor &g) {
          return g.power == 1 && compareAtoms(*g.atom, *f.atom) == 0;
        });
      });
      if (everywhere)
        denom = f.atom.get();
    }
    if (!denom || denom->arg->terms.size() != 2)
      continue;
    // recip(eps + sqrt(N)), N a scalar.
    const Poly &d = *denom->arg;
    const Monomial *epsTerm = nullptr, *rootTerm = nullptr;
    for (const Monomial &m : d.terms) {
      if (m.factors.empty())
        epsTerm = &m;
      else
        rootTerm = &m;
    }
    if (!epsTerm || !rootTerm || !(epsTerm->coeff > 0.0) ||
        rootTerm->coeff != 1.0 || rootTerm->factors.size() != 1 ||
        rootTerm->factors[0].power != 1 ||
        rootTerm->factors[0].atom->kind != Atom::Kind::Sqrt)
      continue;
    const Poly &n = *rootTerm->factors[0].atom->arg;
    if (n.terms.size() != 1 || n.terms[0].coeff != 1.0 ||
        n.terms[0].factors.size() != 1 || n.terms[0].factors[0].power != 1 ||
        n.terms[0].factors[0].atom->kind != Atom::Kind::Leaf)
      continue;
    const Leaf &normLeaf = ea.getLeaf(n.terms[0].factors[0].atom->leaf);
    if (!normLeaf.scalar)
      continue;
    Value norm = normLeaf.value;
    float eps = static_cast<float>(epsTerm->coeff);

    // U: the numerator, a tensor read whole (maybe transposed) or its
    // elementwise code expanded.
    Poly u0;
    for (const Monomial &m : p0->terms) {
      Monomial rest{m.coeff, {}};
      for (const Factor &f : m.factors)
        if (f.atom.get() != denom && compareAtoms(*f.atom, *denom) != 0)
          rest.factors.push_back(f);
      u0.terms.push_back(std::move(rest));
    }
    Poly u = u0;
    bool transposedU = false;
    if (u0.terms.size() == 1 && u0.terms[0].coeff == 1.0 &&
        u0.terms[0].factors.size() == 1 && u0.terms[0].factors[0].power == 1 &&
        u0.terms[0].factors[0].atom->kind == Atom::Kind::Leaf) {
      const Leaf lu = ea.getLeaf(u0.terms[0].factors[0].atom->leaf);
      if (lu.scalar)
        continue;
      FailureOr<Poly> pu = ea.element(lu.value);
      if (failed(pu))
        continue;
      u = *pu;
      transposedU = lu.transposed;
    }
    if ((transposedIn != transposedU) != tall)
      continue;
    bool other = false;
    SmallVector<unsigned> ids = elementLeaves(u, ea, other);
    if (other || ids.size() != 2)
      continue;

    for (int j = 0; j < 2; ++j) {
      Value b = ea.getLeaf(ids[j]).value, g = ea.getLeaf(ids[1 - j]).value;
      if (b.getType() != type || g.getType() != type || b == lw.value ||
          g == lw.value)
        continue;
      Poly pb = ea.leafPoly(b), pg = ea.leafPoly(g);
      for (Value newB : stateCandidates(anchor, {b, g}, type)) {
        FailureOr<Poly> pNewB = ea.element(newB);
        if (failed(pNewB) || newB == newWeight || pNewB->terms.size() != 2)
          continue;
        // B' = mu B + G.
        float mu = static_cast<float>(pNewB->coefficientOf(factorsOf(pb)));
        if (!(mu > 0.0f && mu < 1.0f))
          continue;
        FailureOr<Poly> refB = add(scale(pb, mu), pg);
        if (failed(refB) || !approxEqual(*pNewB, *refB, tol))
          continue;
        for (bool nesterov : {false, true}) {
          FailureOr<Poly> refU = *refB;
          if (nesterov)
            refU = add(pg, scale(*refB, mu));
          if (failed(refU) || !approxEqual(u, *refU, tol) ||
              !isSumOfSquares(norm, *refU, ea, tol))
            continue;
          // W' = W - lr s X - lr wd W.
          float s = std::sqrt(std::max(1.0f, static_cast<float>(rows) /
                                                 static_cast<float>(cols)));
          std::optional<double> kx = kxPoly.getConstant(),
                                kw = kwPoly.getConstant();
          Hyper lrH, wdH;
          if (kx && kw) {
            double lr = -*kx / s;
            if (!(lr > 0.0) || !std::isfinite(lr))
              continue;
            // The lowering folds lr * s and lr * wd in f32: pick the
            // attributes whose products are the original's constants.
            float lrF = solveProduct(lr, s, static_cast<float>(-*kx));
            double wd = (1.0 - *kw) / lrF;
            if (!(wd >= 0.0) || !std::isfinite(wd))
              continue;
            lrH = Hyper::constant(lrF);
            wdH = Hyper::constant(
                solveProduct(wd, lrF, static_cast<float>(1.0 - *kw)));
          } else {
            // A dynamic lr (or weight decay): read off as polynomials.
            std::optional<Hyper> lr = ha.toHyper(scale(kxPoly, -1.0 / s));
            FailureOr<Poly> decay = sub(Poly::constant(1.0), kwPoly);
            if (!lr || lr->isZero() || failed(decay))
              continue;
            if (!lr->isDynamic() && !(lr->value > 0.0f))
              continue;
            FailureOr<Poly> wd = ha.divide(*decay, lr->poly());
            if (failed(wd))
              continue;
            std::optional<Hyper> wdHyper = ha.toHyper(*wd);
            if (!wdHyper ||
                (!wdHyper->isDynamic() &&
                 (!(wdHyper->value >= 0.0f) || !std::isfinite(wdHyper->value))))
              continue;
            lrH = *lr;
            wdH = *wdHyper;
          }
          if (Operation *def = norm.getDefiningOp())
            ops.push_back(def);
          return MuonMatch{lw.value, g,   b,   newWeight, newB, lrH,
                           mu,       eps, wdH, nesterov,  *ns,  ops};
        }
      }
    }
  }
  return std::nullopt;
}

namespace {

/// Raises a Muon step to qopt.muon_update. Anchored on the op that computes
/// the new weight from the Newton-Schulz loop's result.
struct RaiseMuonPattern : RewritePattern {
  RaiseMuonPattern(MLIRContext *context, double tolerance)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context),
        tolerance(tolerance) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isElementwiseProducer(op))
      return rewriter.notifyMatchFailure(op, "not elementwise on tensors");
    ElementwiseAnalysis ea;
    for (Value result : op->getResults()) {
      HyperAlgebra ha(op, ea, tolerance);
      std::optional<MuonMatch> m = matchMuon(op, result, ea, ha, tolerance);
      if (!m)
        continue;
      Block *block = op->getBlock();
      SmallVector<Operation *> producers(ea.getExpandedOps());
      llvm::append_range(producers, m->ops);
      llvm::SmallPtrSet<Operation *, 16> deadBefore = deadOps(block, producers);

      rewriter.setInsertionPointAfter(op);
      Location loc = op->getLoc();
      Type type = m->weight.getType();
      // Constants are attributes (omitted at their defaults, except lr);
      // a dynamic lr or weight decay an operand.
      Value dynLr = materializeHyper(rewriter, loc, ha, m->lr);
      Value dynWd = materializeHyper(rewriter, loc, ha, m->weightDecay);
      auto f32Attr = [&](float value, std::optional<float> def) -> FloatAttr {
        if (def && value == *def)
          return {};
        return rewriter.getF32FloatAttr(value);
      };
      auto muon = MuonUpdateOp::create(
          rewriter, loc, type, type, m->weight, m->grad, m->buffer, dynLr,
          dynWd, m->lr.isDynamic() ? FloatAttr() : f32Attr(m->lr.value, {}),
          f32Attr(m->momentum, 0.95f),
          m->nesterov ? BoolAttr() : rewriter.getBoolAttr(false),
          m->ns.steps != 5 ? rewriter.getI64IntegerAttr(m->ns.steps)
                           : IntegerAttr(),
          m->ns.coeffs != std::array<float, 3>{3.4445f, -4.7750f, 2.0315f}
              ? rewriter.getDenseF32ArrayAttr(m->ns.coeffs)
              : DenseF32ArrayAttr(),
          f32Attr(m->epsilon, 1.0e-7f),
          m->weightDecay.isDynamic() ? FloatAttr()
                                     : f32Attr(m->weightDecay.value, 0.0f));
      rewriter.replaceAllUsesWith(m->newWeight, muon.getNewWeight());
      rewriter.replaceAllUsesWith(m->newBuffer, muon.getNewMomentumBuffer());
      eraseDeadProducers(rewriter, block, producers, deadBefore);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "computes no Muon step");
  }

  double tolerance;
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

/// The unit attribute that keeps the pass out of an op (a function, say).
static constexpr llvm::StringLiteral kNoRaiseAttr = "qopt.no_raise";

/// Records the ops a rewrite erases, so the walk skips them.
struct ErasedOps : RewriterBase::Listener {
  llvm::DenseSet<Operation *> erased;
  void notifyOperationErased(Operation *op) override { erased.insert(op); }
};

struct RaiseOptimizersPass
    : qopt::impl::RaiseOptimizersPassBase<RaiseOptimizersPass> {
  using Base::Base;

  void runOnOperation() override {
    if (!(tolerance >= 0.0 && tolerance < 1.0)) {
      getOperation()->emitError()
          << "qopt-raise-optimizers: tolerance must lie in [0, 1), got "
          << tolerance;
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateRaiseOptimizersPatterns(patterns, tolerance);
    FrozenRewritePatternSet frozen(std::move(patterns));
    PatternApplicator applicator(frozen);
    applicator.applyDefaultCostModel();

    // One visit per op, in program order (the new weight comes after the
    // state it reads), no folding and no dead-code elimination: IR that is
    // not raised stays as it was.
    // Ops under one marked `qopt.no_raise` (a reference step kept as
    // written, for instance) are not visited.
    SmallVector<Operation *> ops;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op->hasAttr(kNoRaiseAttr))
        return WalkResult::skip();
      if (op != getOperation())
        ops.push_back(op);
      return WalkResult::advance();
    });
    ErasedOps listener;
    PatternRewriter rewriter(&getContext());
    rewriter.setListener(&listener);
    for (Operation *op : ops)
      if (!listener.erased.contains(op))
        (void)applicator.matchAndRewrite(op, rewriter);
  }
};

} // namespace

void mlir::qopt::populateRaiseOptimizersPatterns(RewritePatternSet &patterns,
                                                 double tolerance) {
  patterns.add<RaiseAdamPattern, RaiseMuonPattern>(patterns.getContext(),
                                                   tolerance);
}
