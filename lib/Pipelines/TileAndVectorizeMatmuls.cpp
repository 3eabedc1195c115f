//===- TileAndVectorizeMatmuls.cpp - matmul cache/register tiles ----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tiles f32 linalg.matmul ops for the CPU's caches and registers, packs their
// operands into contiguous panels and vectorises the register tiles into
// vector.contract (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptAttrNames.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/Support/CheckedArithmetic.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTTILEANDVECTORIZEMATMULSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Cache tile of the matmuls (rows of A/C, columns of B/C, reduction): a
/// 256x128 panel of B (128 KiB) and a 64x256 block of A stay in L2.
constexpr int64_t kCacheTile[3] = {64, 128, 256};
/// Register tiles tried for each dimension, best first. A 4x16 block of C
/// is 8 AVX2 registers, enough independent FMA chains to cover the FMA
/// latency, with room for B's row and A's broadcast; rows of 6, 5, 3, 2 or 1
/// (at most 12 accumulator registers) serve sizes 4 does not divide, such
/// as a batch of 50, and columns of 8 (one AVX2 register) sizes 16 does not
/// divide.
constexpr int64_t kRegisterRows[] = {4, 6, 5, 3, 2, 1};
constexpr int64_t kRegisterColumns[] = {16, 8};
/// M cache tiles of at least kWideTileMinRows rows use register tiles of
/// kWideRegisterRows rows, with one narrower tile for the remainder (64 =
/// 10 x 6 + 4). Eight 4x16 accumulators leave the FMA pipes idle part of
/// the time on cores with a 5-cycle FMA latency and two FMA pipes (ten
/// independent chains needed); a 6x16 tile has twelve, with two registers
/// of B and one broadcast of A: 15 of AVX2's 16. On a 768x768 Muon step it
/// took 0.889 of the 4x16 tile's time (bench/README.md). Smaller M tiles
/// keep the single tile size, where the remainder would weigh more.
constexpr int64_t kWideRegisterRows = 6;
constexpr int64_t kWideTileMinRows = 48;

/// Returns `tile` clamped to `size` when `size` is a multiple of it (or
/// smaller), so every tile is full and vectorises with static shapes; 0
/// (do not tile) otherwise.
static int64_t fullTile(int64_t size, int64_t tile) {
  if (ShapedType::isDynamic(size))
    return 0;
  if (size <= tile)
    return size;
  return size % tile == 0 ? tile : 0;
}

/// The first of `tiles` that tiles `size` fully (see fullTile), or 0.
static int64_t firstFullTile(int64_t size, ArrayRef<int64_t> tiles) {
  for (int64_t tile : tiles)
    if (int64_t full = fullTile(size, tile))
      return full;
  return 0;
}

/// A cache tile for a dimension of `size`: `tile` when it divides `size`
/// (or `size` when smaller), else the largest divisor of `size` between
/// tile / 2 and tile that is a multiple of `granule` (784 = 16 * 49
/// reduces in tiles of 196), else 0 (untiled).
static int64_t cacheTile(int64_t size, int64_t tile, int64_t granule) {
  if (int64_t full = fullTile(size, tile))
    return full;
  if (ShapedType::isDynamic(size))
    return 0;
  for (int64_t divisor = tile; divisor >= tile / 2; --divisor)
    if (size % divisor == 0 && divisor % granule == 0)
      return divisor;
  return 0;
}

/// Tiles `op` by `sizes` (0 = untiled) with scf.for loops; returns the tiled
/// op or null.
static Operation *tile(RewriterBase &rewriter, Operation *op,
                       ArrayRef<int64_t> sizes,
                       ArrayRef<int64_t> interchange = {},
                       SmallVectorImpl<LoopLikeOpInterface> *loops = nullptr) {
  // Nothing to tile (tileUsingSCF would still rebuild the op).
  if (llvm::all_of(sizes, [](int64_t size) { return size == 0; }))
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(result))
    return nullptr;
  rewriter.replaceOp(op, result->replacements);
  if (loops)
    loops->assign(result->loops.begin(), result->loops.end());
  return result->tiledOps.back();
}

/// Largest packed panel of B (bytes) kept on the stack; bigger untiled
/// matmuls are not packed.
constexpr int64_t kMaxPackedPanelBytes = 256 * 1024;

/// Whether the iteration space (M, N, K) of a static matmul and the size in
/// bytes of each f32 operand fit in int64_t. A matmul whose sizes overflow
/// (a static dimension near INT64_MAX) is left untiled: its tile loops,
/// packed panels and byte counts could not be computed.
static bool hasRepresentableSizes(ArrayRef<int64_t> bounds) {
  std::optional<int64_t> mn = llvm::checkedMul(bounds[0], bounds[1]);
  std::optional<int64_t> mnk = mn ? llvm::checkedMul(*mn, bounds[2]) : mn;
  if (!mnk)
    return false;
  for (auto [rows, cols] :
       {std::pair(bounds[0], bounds[2]), std::pair(bounds[2], bounds[1]),
        std::pair(bounds[0], bounds[1])}) {
    std::optional<int64_t> elements = llvm::checkedMul(rows, cols);
    if (!elements || !llvm::checkedMul(*elements, int64_t(4)))
      return false;
  }
  return true;
}

/// Follows `value` through zero-offset tensor.extract_slice ops (the full
/// slices tiling creates for untiled dimensions) until `root`; returns
/// whether it got there.
static bool isZeroOffsetSliceOf(Value value, Value root) {
  while (value != root) {
    auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || !llvm::all_of(slice.getMixedOffsets(), isZeroInteger))
      return false;
    value = slice.getSource();
  }
  return true;
}

/// The first multiple of `tile` at or after `value` (an index).
static Value roundUp(OpBuilder &b, Location loc, Value value, int64_t tile) {
  Value step = arith::ConstantIndexOp::create(b, loc, tile);
  Value tiles = arith::CeilDivUIOp::create(b, loc, value, step);
  return arith::MulIOp::create(b, loc, tiles, step);
}

/// Fills the blocks of the square `c` (`size` x `size`) that the M loop of
/// a kSymmetricAttr matmul skipped with the transpose of their mirror image
/// above the diagonal, which was computed (O(size^2) scalar copies against
/// the O(size^3) product). In the column block at n (`tn`
/// wide) the M loop stopped at roundUp(n + tn, tm); the rows from there on,
/// in blocks of `tm`, lie below the diagonal, and their mirror (rows
/// [n, n + tn) of columns past n + tn) above it. Built right after `c`'s
/// definition; returns the completed matrix.
static Value mirrorSkippedBlocks(RewriterBase &rewriter, Location loc, Value c,
                                 int64_t size, int64_t tn, int64_t tm) {
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value last = arith::ConstantIndexOp::create(rewriter, loc, size - tn);
  Value end = arith::ConstantIndexOp::create(rewriter, loc, size);
  Value colStep = arith::ConstantIndexOp::create(rewriter, loc, tn);
  Value rowStep = arith::ConstantIndexOp::create(rewriter, loc, tm);
  auto build = [&](OpBuilder &b, Location loc, Value jb, ValueRange carried) {
    Value below =
        roundUp(b, loc, arith::AddIOp::create(b, loc, jb, colStep), tm);
    auto rows = scf::ForOp::create(
        b, loc, below, end, rowStep, carried,
        [&](OpBuilder &b, Location loc, Value ib, ValueRange carried) {
          // Element by element: C[ib + r][jb + c] = C[jb + c][ib + r]. Each
          // read comes before the write into the same tensor, so
          // bufferization updates C in place. (A linalg.transpose between
          // two slices of C would make it copy the source block first, through
          // the runtime library's memrefCopy.)
          Value one = arith::ConstantIndexOp::create(b, loc, 1);
          Value blockRows = arith::ConstantIndexOp::create(b, loc, tm);
          Value blockCols = arith::ConstantIndexOp::create(b, loc, tn);
          auto copyRow = [&](OpBuilder &b, Location loc, Value r,
                             ValueRange carried) {
            Value row = arith::AddIOp::create(b, loc, ib, r);
            auto cols = scf::ForOp::create(
                b, loc, zero, blockCols, one, carried,
                [&](OpBuilder &b, Location loc, Value c, ValueRange carried) {
                  Value col = arith::AddIOp::create(b, loc, jb, c);
                  Value value = tensor::ExtractOp::create(b, loc, carried[0],
                                                          ValueRange{col, row});
                  Value filled = tensor::InsertOp::create(
                      b, loc, value, carried[0], ValueRange{row, col});
                  scf::YieldOp::create(b, loc, filled);
                });
            scf::YieldOp::create(b, loc, cols.getResults());
          };
          auto block = scf::ForOp::create(b, loc, zero, blockRows, one, carried,
                                          copyRow);
          scf::YieldOp::create(b, loc, block.getResults());
        });
    scf::YieldOp::create(b, loc, rows.getResults());
  };
  // The last column block has no block below the diagonal.
  auto columns = scf::ForOp::create(rewriter, loc, zero, last, colStep,
                                    ValueRange{c}, build);
  return columns.getResult(0);
}

/// Tiles static linalg.matmul ops for cache and registers and vectorises
/// the register tiles into vector.contract (on tensors, before
/// bufferization). Matmuls whose sizes the register tile does not divide
/// stay as they are and become scalar loops.
///
/// B is packed: rows of B are a whole row of the matrix apart (4 KiB for
/// 1024 columns), so a micro-kernel walking down a K x nr column strip of B
/// touches a new page and the same L1 set on every k, which defeats the
/// prefetchers and the TLB. Each K x N cache panel of B is therefore copied
/// once, outside the M loop (loops are N, K, M), into a stack buffer laid
/// out as [N/nr][K][nr], where every micro-kernel's strip is contiguous.
struct QOptTileAndVectorizeMatmulsPass
    : qopt::impl::QOptTileAndVectorizeMatmulsPassBase<
          QOptTileAndVectorizeMatmulsPass> {
  using Base::Base;

  /// Returns the packing buffer of `type` for operand `index` (A or B), one
  /// per function, operand and shape (the matmuls run one after the other,
  /// so they can share it), allocated on the stack at the function's entry
  /// so loops do not re-allocate it. A's and B's packs are live at the same
  /// time and may have the same shape (a square register tile on a square
  /// C block), so they never share a buffer.
  ///
  /// A buffer `threadPrivate` (A's, written inside the M loop when the M
  /// tiles may run in parallel) is a separate alloca marked
  /// kThreadPrivateAttr: --qopt-parallelize-loops gives each thread its own
  /// copy when it makes the M loop parallel.
  Value packBuffer(RewriterBase &rewriter, MemRefType type, unsigned index,
                   bool threadPrivate = false) {
    Value &buffer =
        threadPrivate ? privatePackBuffers[type] : packBuffers[{type, index}];
    if (!buffer) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(&getOperation().getBody().front());
      auto alloca =
          memref::AllocaOp::create(rewriter, getOperation().getLoc(), type,
                                   rewriter.getI64IntegerAttr(64));
      if (threadPrivate)
        alloca->setAttr(qopt::kThreadPrivateAttr, rewriter.getUnitAttr());
      buffer = alloca;
    }
    return buffer;
  }

  /// Packs operand `index` of `matmul` (a 2-D static cache block) so that
  /// each `tile`-wide strip along dimension `tiledDim` is contiguous:
  /// [D_tiled / tile][D_other][tile]. Returns the packed tensor or null. A is
  /// packed along M ([M/mr][K][mr]), B along N ([N/nr][K][nr]).
  Value packOperand(RewriterBase &rewriter, Operation *matmul, unsigned index,
                    unsigned tiledDim, int64_t tile,
                    bool threadPrivate = false) {
    auto type = dyn_cast<RankedTensorType>(matmul->getOperand(index).getType());
    if (!type || !type.hasStaticShape() || type.getRank() != 2)
      return nullptr;
    int64_t tiled = type.getDimSize(tiledDim);
    int64_t other = type.getDimSize(1 - tiledDim);
    // Checked: a static dimension may be as large as INT64_MAX.
    std::optional<int64_t> elements = llvm::checkedMul(tiled, other);
    std::optional<int64_t> bytes =
        elements ? llvm::checkedMul(*elements,
                                    int64_t(type.getElementTypeBitWidth() / 8))
                 : std::nullopt;
    if (tiled % tile != 0 || !bytes || *bytes > kMaxPackedPanelBytes)
      return nullptr;
    Location loc = matmul->getLoc();
    Type element = type.getElementType();
    SmallVector<int64_t> packedShape = {tiled / tile, other, tile};
    rewriter.setInsertionPoint(matmul);
    Value buffer = packBuffer(rewriter, MemRefType::get(packedShape, element),
                              index, threadPrivate);
    // A writable, restrict view of the buffer: one-shot bufferization then
    // writes the transpose straight into it instead of a fresh allocation.
    Value dest = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get(packedShape, element), buffer,
        /*restrict=*/true, /*writable=*/true);
    // Split the tiled dimension, then move the strip index first and the
    // within-strip index last.
    bool rows = tiledDim == 0;
    SmallVector<int64_t> expandedShape =
        rows ? SmallVector<int64_t>{tiled / tile, tile, other}
             : SmallVector<int64_t>{other, tiled / tile, tile};
    SmallVector<ReassociationIndices> reassociation =
        rows ? SmallVector<ReassociationIndices>{{0, 1}, {2}}
             : SmallVector<ReassociationIndices>{{0}, {1, 2}};
    Value expanded = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(expandedShape, element),
        matmul->getOperand(index), reassociation);
    SmallVector<int64_t> permutation =
        rows ? SmallVector<int64_t>{0, 2, 1} : SmallVector<int64_t>{1, 0, 2};
    return linalg::TransposeOp::create(rewriter, loc, expanded, dest,
                                       permutation)
        ->getResult(0);
  }

  /// Makes the register tile `micro` read operand `index` from the buffer
  /// packOperand filled instead of from `unpacked` (the operand the register
  /// tiles were cut from): A's mr x 1 column (index 0) or B's 1 x nr row
  /// (index 1) is `tile` consecutive elements of the packed buffer, at
  /// [offset along the tiled dimension / tile][offset along the other].
  /// Returns whether it did.
  static bool readFromPacked(RewriterBase &rewriter, Operation *micro,
                             unsigned index, Value unpacked, Value packed,
                             int64_t tile) {
    auto slice =
        micro->getOperand(index).getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || !isZeroOffsetSliceOf(slice.getSource(), unpacked))
      return false;
    bool isA = index == 0;
    unsigned tiledDim = isA ? 0 : 1;
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    auto type = cast<RankedTensorType>(slice.getType());
    SmallVector<int64_t> expected =
        isA ? SmallVector<int64_t>{tile, 1} : SmallVector<int64_t>{1, tile};
    if (!type.hasStaticShape() || type.getShape() != ArrayRef(expected))
      return false;
    Location loc = slice.getLoc();
    rewriter.setInsertionPoint(slice);
    // Offset o along the tiled dimension (a multiple of tile) -> strip o /
    // tile.
    Value along =
        getValueOrCreateConstantIndexOp(rewriter, loc, offsets[tiledDim]);
    Value strip = arith::DivUIOp::create(
        rewriter, loc, along,
        arith::ConstantIndexOp::create(rewriter, loc, tile));
    SmallVector<OpFoldResult> packedOffsets = {strip, offsets[1 - tiledDim],
                                               rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1),
                                       rewriter.getIndexAttr(1),
                                       rewriter.getIndexAttr(tile)};
    SmallVector<OpFoldResult> strides(3, rewriter.getIndexAttr(1));
    Value replacement;
    if (isA) {
      // A 1 x 1 x mr slice cannot be rank-reduced to mr x 1: take the mr
      // elements, then give them A's column shape.
      Value column = tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get({tile}, type.getElementType()),
          packed, packedOffsets, sizes, strides);
      replacement = tensor::ExpandShapeOp::create(
          rewriter, loc, type, column, ArrayRef<ReassociationIndices>{{0, 1}});
    } else {
      replacement = tensor::ExtractSliceOp::create(
          rewriter, loc, type, packed, packedOffsets, sizes, strides);
    }
    rewriter.modifyOpInPlace(micro,
                             [&] { micro->setOperand(index, replacement); });
    if (slice->use_empty())
      rewriter.eraseOp(slice);
    return true;
  }

  void runOnOperation() override {
    packBuffers.clear();
    privatePackBuffers.clear();
    SmallVector<linalg::MatmulOp> matmuls;
    // Only f32 products: the micro-kernel is an f32 FMA outer product (a
    // mixed i64 x f32 matmul would build an invalid vector.contract).
    auto allF32 = [](linalg::MatmulOp op) {
      return llvm::all_of(op->getOperandTypes(), [](Type type) {
        return getElementTypeOrSelf(type).isF32();
      });
    };
    // A matmul with user-defined (transposing) maps breaks the packing's
    // layout assumptions; --qopt-normalize-matmuls rewrites those first.
    getOperation().walk([&](linalg::MatmulOp op) {
      if (op.hasPureTensorSemantics() && allF32(op) && !op.hasUserDefinedMaps())
        matmuls.push_back(op);
    });
    // The external model of TilingInterface comes with the linalg
    // extensions; without it tiling would crash.
    if (!matmuls.empty() &&
        !isa<TilingInterface>(matmuls.front().getOperation())) {
      matmuls.front().emitError()
          << "qopt-lower-to-llvm: linalg.matmul does not implement "
             "TilingInterface in this context: its external model is not "
             "registered; call mlir::qopt::registerQOptDialects (or "
             "registerQOptDependencies) on the context's DialectRegistry";
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    for (linalg::MatmulOp matmul : matmuls) {
      SmallVector<int64_t> bounds = matmul.getStaticLoopRanges();
      // An empty matmul (a dimension of size 0: Muon on a 0 x n weight) has
      // nothing to tile; cacheTile would pick a divisor of 0.
      if (bounds.size() != 3 || ShapedType::isDynamicShape(bounds) ||
          !hasRepresentableSizes(bounds) || llvm::is_contained(bounds, 0))
        continue;
      SmallVector<int64_t> cache(3), regs(3), inner(3);
      for (int i = 0; i < 3; ++i) {
        // The granule keeps a shrunk cache tile a multiple of the best
        // register tile, so it still vectorises.
        int64_t granule = i == 0   ? kRegisterRows[0]
                          : i == 1 ? kRegisterColumns[0]
                                   : 1;
        cache[i] = cacheTile(bounds[i], kCacheTile[i], granule);
        inner[i] = cache[i] ? cache[i] : bounds[i];
      }
      regs[1] = firstFullTile(inner[1], kRegisterColumns);
      regs[2] = fullTile(inner[2], 1);
      regs[0] = 0;
      for (int64_t rows : kRegisterRows)
        if (fullTile(inner[0], rows) == rows) {
          regs[0] = rows;
          break;
        }
      bool vectorizable = llvm::all_of(regs, [](int64_t r) { return r != 0; });
      // Register tiles must be full for static vector shapes.
      if (!vectorizable)
        continue;
      // A symmetric result (kSymmetricAttr) needs only the M tiles that
      // reach the diagonal of each column block: the others are mirrored
      // afterwards. That takes a square C tiled along both M and N into
      // several column blocks.
      bool symmetric = matmul->hasAttr(qopt::kSymmetricAttr) &&
                       bounds[0] == bounds[1] && cache[0] != 0 &&
                       cache[1] != 0 && bounds[1] > cache[1];
      // The tiles cloned from the matmul must not claim symmetry.
      matmul->removeAttr(qopt::kSymmetricAttr);
      // Cache tiles in two steps, N and K outside M, so that B's panel is
      // packed once per (N, K) tile and reused by every M tile.
      SmallVector<LoopLikeOpInterface> panelLoops;
      Operation *panel = tile(rewriter, matmul, {0, cache[1], cache[2]},
                              /*interchange=*/{}, &panelLoops);
      if (!panel)
        continue;
      Value packed =
          regs[2] == 1 ? packOperand(rewriter, panel, 1, 1, regs[1]) : Value();
      Value unpacked = panel->getOperand(1);
      SmallVector<LoopLikeOpInterface> rowLoops;
      Operation *tiled = tile(rewriter, panel, {cache[0], 0, 0},
                              /*interchange=*/{}, &rowLoops);
      if (!tiled)
        continue;
      // The M tiles write disjoint rows of C and read the shared packed
      // panel of B: with parallelRows, mark their loop for
      // --qopt-parallelize-loops (after bufferization) and give A's packed
      // block one buffer per thread. Only a loop of several tiles.
      bool parallel = parallelRows && cache[0] != 0 && bounds[0] > cache[0] &&
                      rowLoops.size() == 1 && isa<scf::ForOp>(*rowLoops[0]);
      if (parallel)
        rowLoops[0]->setAttr(qopt::kParallelRowsAttr, rewriter.getUnitAttr());
      if (symmetric && rowLoops.size() == 1 && !panelLoops.empty()) {
        // Rows [0, roundUp(n + tn, tm)) of the column block at n: the M
        // tiles that reach its diagonal (the bound is a multiple of tm and
        // at most M, which tm divides, so every tile stays full).
        auto rowLoop = cast<scf::ForOp>(*rowLoops[0]);
        auto columnLoop = cast<scf::ForOp>(*panelLoops.front());
        Location loc = rowLoop.getLoc();
        rewriter.setInsertionPoint(rowLoop);
        Value reach = arith::AddIOp::create(
            rewriter, loc, columnLoop.getInductionVar(),
            arith::ConstantIndexOp::create(rewriter, loc, cache[1]));
        Value upper = arith::MinUIOp::create(
            rewriter, loc, roundUp(rewriter, loc, reach, cache[0]),
            rowLoop.getUpperBound());
        rewriter.modifyOpInPlace(
            rowLoop, [&] { rowLoop.getUpperBoundMutable().assign(upper); });
        rewriter.setInsertionPointAfter(columnLoop);
        Value computed = columnLoop->getResult(0);
        Value full = mirrorSkippedBlocks(rewriter, loc, computed, bounds[0],
                                         cache[1], cache[0]);
        rewriter.replaceAllUsesExcept(computed, full,
                                      full.getDefiningOp<scf::ForOp>());
      }
      for (auto [rowTile, rows] : splitRows(rewriter, tiled, inner[0], regs))
        vectorizeRegisterTiles(rewriter, rowTile, {rows, regs[1], regs[2]},
                               packed, unpacked, parallel);
    }
  }

  /// The M cache tile `tiled` (`rows` rows, register tiles `regs`) as the
  /// ops to cut into register tiles, each with its register rows: itself
  /// with regs[0] rows, or, for tiles of at least kWideTileMinRows rows, a
  /// multiple of kWideRegisterRows rows and the remainder (a narrower
  /// register tile that divides it), split with linalg::splitOp.
  static SmallVector<std::pair<Operation *, int64_t>>
  splitRows(RewriterBase &rewriter, Operation *tiled, int64_t rows,
            ArrayRef<int64_t> regs) {
    if (rows < kWideTileMinRows || regs[1] != kRegisterColumns[0])
      return {{tiled, regs[0]}};
    int64_t remainder = rows % kWideRegisterRows;
    if (remainder == 0)
      return {{tiled, kWideRegisterRows}};
    int64_t remainderRows = firstFullTile(remainder, kRegisterRows);
    if (remainderRows == 0)
      return {{tiled, regs[0]}};
    rewriter.setInsertionPoint(tiled);
    auto [wide, rest] =
        linalg::splitOp(rewriter, cast<TilingInterface>(tiled), /*dimension=*/0,
                        rewriter.getIndexAttr(rows - remainder));
    if (!wide || !rest)
      return {};
    return {{wide, kWideRegisterRows}, {rest, remainderRows}};
  }

  /// Packs A of the matmul `tiled` (when B is `packed` from `unpacked`),
  /// cuts it into register tiles `regs` and vectorizes them into
  /// vector.contract.
  void vectorizeRegisterTiles(RewriterBase &rewriter, Operation *tiled,
                              SmallVector<int64_t> regs, Value packed,
                              Value unpacked, bool parallel) {
    Value packedA = packed && regs[2] == 1
                        ? packOperand(rewriter, tiled, 0, 0, regs[0],
                                      /*threadPrivate=*/parallel)
                        : Value();
    Value unpackedA = tiled->getOperand(0);
    // With A packed too, register tiles run N-outer: B's K x nr strip
    // stays in L1 while A's contiguous micro-panels stream from L2.
    Operation *micro = packedA ? tile(rewriter, tiled, regs, {1, 0, 2})
                               : tile(rewriter, tiled, regs);
    if (!micro)
      return;
    if (packedA)
      readFromPacked(rewriter, micro, 0, unpackedA, packedA, regs[0]);
    if (packed)
      readFromPacked(rewriter, micro, 1, unpacked, packed, regs[1]);
    rewriter.setInsertionPoint(micro);
    FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
        rewriter, micro, /*inputVectorSizes=*/{},
        /*inputScalableVecDims=*/{}, /*vectorizeNDExtract=*/false,
        /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/true);
    if (succeeded(vectorized))
      rewriter.replaceOp(micro, vectorized->replacements);
  }

  DenseMap<std::pair<Type, unsigned>, Value> packBuffers;
  DenseMap<Type, Value> privatePackBuffers;
};

} // namespace
