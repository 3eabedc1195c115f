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
/// constants, transposed tensors, a bare step).
static SmallVector<unsigned>
elementLeaves(const Poly &p, ElementwiseAnalysis &ea, bool &other) {
  SmallVector<unsigned> ids;
  walkAtoms(p, [&](const Atom &atom) {
    if (atom.kind == Atom::Kind::Step)
      other = true;
    if (atom.kind != Atom::Kind::Leaf)
      return;
    const Leaf &leaf = ea.getLeaf(atom.leaf);
    if (leaf.scalar || leaf.transposed)
      other = true;
    else if (!llvm::is_contained(ids, atom.leaf))
      ids.push_back(atom.leaf);
  });
  return ids;
}

/// Positive constant terms of the square roots' and reciprocals' arguments
/// in `p`: where an epsilon can be.
static SmallVector<double> epsilonCandidates(const Poly &p) {
  SmallVector<double> eps;
  walkAtoms(p, [&](const Atom &atom) {
    if (atom.kind != Atom::Kind::Sqrt && atom.kind != Atom::Kind::Recip)
      return;
    for (const Monomial &m : atom.arg->terms)
      if (m.factors.empty() && m.coeff > 0.0 &&
          !llvm::is_contained(eps, m.coeff))
        eps.push_back(m.coeff);
  });
  return eps;
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
  float lr, beta1, beta2, epsilon, weightDecay;
  bool biasCorrection, epsilonInsideSqrt, decoupled;
};

/// Recognises an Adam/AdamW step whose new weight is `newWeight` (see the
/// pass description for the forms).
class AdamMatcher {
public:
  AdamMatcher(Operation *anchor, ElementwiseAnalysis &ea, double tolerance)
      : anchor(anchor), ea(ea), tol(tolerance) {}

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
  SmallVector<unsigned> ids = elementLeaves(*pNewW, ea, other);
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
  for (const auto &[newM, pNewM] : linear) {
    // m' = b1 m + c1 (g + l2 w), c1 ~ 1 - b1.
    double b1 = pNewM.coefficientOf(factorsOf(r.pm));
    double c1 = pNewM.coefficientOf(factorsOf(r.pg));
    double l2c = pNewM.coefficientOf(factorsOf(r.pw));
    if (b1 <= 0.0 || b1 >= 1.0 || c1 == 0.0 ||
        pNewM.terms.size() != (l2c != 0.0 ? 3u : 2u) ||
        !approxEqual(c1, 1.0 - b1, tol))
      continue;
    float beta1 = static_cast<float>(b1);
    float l2 = static_cast<float>(l2c / c1);
    if (!(l2 >= 0.0f) || !std::isfinite(l2))
      continue;
    FailureOr<Poly> ge = r.pg;
    if (l2 != 0.0f)
      ge = add(r.pg, scale(r.pw, l2));
    if (failed(ge))
      continue;
    // The reference moment, computed as the lowering computes it.
    FailureOr<Poly> refM =
        add(scale(r.pm, beta1), scale(*ge, static_cast<float>(1.0f - beta1)));
    if (failed(refM) || !approxEqual(pNewM, *refM, tol))
      continue;
    FailureOr<Poly> ge2 = mul(*ge, *ge);
    if (failed(ge2))
      continue;

    for (const auto &[newV, pNewV] : squares) {
      double b2 = pNewV.coefficientOf(factorsOf(r.pv));
      if (b2 <= 0.0 || b2 >= 1.0)
        continue;
      float beta2 = static_cast<float>(b2);
      FailureOr<Poly> refV = add(scale(r.pv, beta2),
                                 scale(*ge2, static_cast<float>(1.0f - beta2)));
      if (failed(refV) || !approxEqual(pNewV, *refV, tol))
        continue;

      for (bool biasCorrection : {true, false}) {
        Poly mHat = *refM, vHat = *refV;
        std::optional<StepRef> step;
        if (biasCorrection) {
          // The powers' bases are the betas.
          auto powOf = [&](double beta) -> const Atom * {
            for (const Atom *p : pows)
              if (approxEqual(p->base, beta, tol))
                return p;
            return nullptr;
          };
          const Atom *pow1 = powOf(beta1), *pow2 = powOf(beta2);
          if (!pow1 || !pow2 || !canMaterializeStep(pow1->step))
            continue;
          step = pow1->step;
          FailureOr<Poly> bc1 =
              sub(Poly::constant(1.0), powStep(pow1->base, pow1->step));
          FailureOr<Poly> bc2 =
              sub(Poly::constant(1.0), powStep(pow2->base, pow2->step));
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
          for (double epsCandidate : epsilonCandidates(pNewW)) {
            float eps = static_cast<float>(epsCandidate);
            FailureOr<Poly> denom = failure();
            if (inside) {
              FailureOr<Poly> shifted = add(vHat, Poly::constant(eps));
              if (succeeded(shifted))
                denom = algebra::sqrt(*shifted);
            } else {
              FailureOr<Poly> root = algebra::sqrt(vHat);
              if (succeeded(root))
                denom = add(*root, Poly::constant(eps));
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
            std::optional<double> lrValue;
            for (const Monomial &t : pNewW.terms) {
              if (!q)
                break;
              Poly a, b;
              a.terms.push_back(Monomial{1.0, t.factors});
              b.terms.push_back(Monomial{1.0, q->factors});
              if (approxEqual(a, b, tol)) {
                lrValue = -t.coeff / q->coeff;
                break;
              }
            }
            if (!lrValue || !(*lrValue > 0.0) || !std::isfinite(*lrValue))
              continue;
            float lr = static_cast<float>(*lrValue);
            // w' = kw w - lr d: kw = 1 - lr wd (decoupled decay), or 1 with
            // L2 decay.
            double kw = pNewW.coefficientOf(factorsOf(r.pw));
            bool decoupled = l2 == 0.0f;
            float wd = l2;
            if (decoupled) {
              double decay = (1.0 - kw) / lr;
              if (!(decay >= 0.0) || !std::isfinite(decay))
                continue;
              wd = solveProduct(decay, lr, static_cast<float>(1.0 - kw));
            }
            float lrWd = lr * wd;
            Poly keep =
                scale(r.pw, decoupled ? 1.0 - static_cast<double>(lrWd) : 1.0);
            FailureOr<Poly> refW = add(keep, scale(*direction, -lr));
            if (failed(refW) || !approxEqual(pNewW, *refW, tol))
              continue;
            return AdamMatch{
                r.w,    r.g,      r.m,   r.v,   step, newWeight, newM,
                newV,   lr,       beta1, beta2, eps,  wd,        biasCorrection,
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
    AdamMatcher matcher(op, ea, tolerance);
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
      SmallVector<NamedAttribute> attrs;
      auto setF32 = [&](StringRef name, float value, float def) {
        if (value != def || name == "lr")
          attrs.push_back(
              rewriter.getNamedAttr(name, rewriter.getF32FloatAttr(value)));
      };
      setF32("lr", m->lr, 0.0f);
      setF32("beta1", m->beta1, 0.9f);
      setF32("beta2", m->beta2, 0.999f);
      setF32("epsilon", m->epsilon, 1.0e-8f);
      setF32("weight_decay", m->weightDecay, 0.0f);
      if (!m->biasCorrection)
        attrs.push_back(rewriter.getNamedAttr("bias_correction",
                                              rewriter.getBoolAttr(false)));
      if (m->epsilonInsideSqrt)
        attrs.push_back(rewriter.getNamedAttr("epsilon_inside_sqrt",
                                              rewriter.getBoolAttr(true)));
      if (!m->decoupled)
        attrs.push_back(rewriter.getNamedAttr("decoupled_weight_decay",
                                              rewriter.getBoolAttr(false)));
      Type type = m->weight.getType();
      auto adam = AdamUpdateOp::create(
          rewriter, loc, TypeRange{type, type, type},
          ValueRange{m->weight, m->grad, m->moment1, m->moment2, step}, attrs);
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
  float lr, momentum, epsilon, weightDecay;
  bool nesterov;
  NewtonSchulz ns;
  SmallVector<Operation *> ops;
};

} // namespace

/// Recognises a Muon step whose new weight is `newWeight` (see the pass
/// description).
static std::optional<MuonMatch> matchMuon(Operation *anchor, Value newWeight,
                                          ElementwiseAnalysis &ea, double tol) {
  auto type = dyn_cast<RankedTensorType>(newWeight.getType());
  if (!type || !type.getElementType().isF32() || type.getRank() != 2 ||
      !type.hasStaticShape())
    return std::nullopt;
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  bool tall = rows > cols;
  FailureOr<Poly> pNewW = ea.element(newWeight);
  if (failed(pNewW) || pNewW->terms.size() != 2)
    return std::nullopt;

  for (int i = 0; i < 2; ++i) {
    // W' = kw W + kx X: X the Newton-Schulz result (transposed back when
    // the iteration ran on the transpose).
    const Monomial &tw = pNewW->terms[i], &tx = pNewW->terms[1 - i];
    if (tw.factors.size() != 1 || tx.factors.size() != 1 ||
        tw.factors[0].power != 1 || tx.factors[0].power != 1 ||
        tw.factors[0].atom->kind != Atom::Kind::Leaf ||
        tx.factors[0].atom->kind != Atom::Kind::Leaf)
      continue;
    const Leaf lw = ea.getLeaf(tw.factors[0].atom->leaf);
    const Leaf lx = ea.getLeaf(tx.factors[0].atom->leaf);
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
          double lr = -tx.coeff / s;
          if (!(lr > 0.0) || !std::isfinite(lr))
            continue;
          // The lowering folds lr * s and lr * wd in f32: pick the
          // attributes whose products are the original's constants.
          float lrF = solveProduct(lr, s, static_cast<float>(-tx.coeff));
          double wd = (1.0 - tw.coeff) / lrF;
          if (!(wd >= 0.0) || !std::isfinite(wd))
            continue;
          float wdF = solveProduct(wd, lrF, static_cast<float>(1.0 - tw.coeff));
          if (Operation *def = norm.getDefiningOp())
            ops.push_back(def);
          return MuonMatch{lw.value, g,   b,   newWeight, newB, lrF,
                           mu,       eps, wdF, nesterov,  *ns,  ops};
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
      std::optional<MuonMatch> m = matchMuon(op, result, ea, tolerance);
      if (!m)
        continue;
      Block *block = op->getBlock();
      SmallVector<Operation *> producers(ea.getExpandedOps());
      llvm::append_range(producers, m->ops);
      llvm::SmallPtrSet<Operation *, 16> deadBefore = deadOps(block, producers);

      rewriter.setInsertionPointAfter(op);
      Type type = m->weight.getType();
      SmallVector<NamedAttribute> attrs = {
          rewriter.getNamedAttr("lr", rewriter.getF32FloatAttr(m->lr))};
      if (m->momentum != 0.95f)
        attrs.push_back(rewriter.getNamedAttr(
            "momentum", rewriter.getF32FloatAttr(m->momentum)));
      if (!m->nesterov)
        attrs.push_back(
            rewriter.getNamedAttr("nesterov", rewriter.getBoolAttr(false)));
      if (m->ns.steps != 5)
        attrs.push_back(rewriter.getNamedAttr(
            "ns_steps", rewriter.getI64IntegerAttr(m->ns.steps)));
      if (m->ns.coeffs != std::array<float, 3>{3.4445f, -4.7750f, 2.0315f})
        attrs.push_back(rewriter.getNamedAttr(
            "ns_coeffs", rewriter.getDenseF32ArrayAttr(m->ns.coeffs)));
      if (m->epsilon != 1.0e-7f)
        attrs.push_back(rewriter.getNamedAttr(
            "epsilon", rewriter.getF32FloatAttr(m->epsilon)));
      if (m->weightDecay != 0.0f)
        attrs.push_back(rewriter.getNamedAttr(
            "weight_decay", rewriter.getF32FloatAttr(m->weightDecay)));
      auto muon = MuonUpdateOp::create(
          rewriter, op->getLoc(), TypeRange{type, type},
          ValueRange{m->weight, m->grad, m->buffer}, attrs);
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
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (op != getOperation())
        ops.push_back(op);
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
