//===- Passes.td - passes of the qopt pipelines -----------*- tablegen -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The passes of the qopt pipelines that are not conversions: the check at
// the head of every pipeline, and the code generation of linalg.matmul
// (Muon's Newton-Schulz iteration) for the CPU's caches and vector registers,
// which only `--qopt-lower-to-llvm` uses. docs/Pipelines.md shows where each
// runs.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_PIPELINES_PASSES_TD
#define QOPT_PIPELINES_PASSES_TD

include "mlir/Pass/PassBase.td"

def QOptCheckSupportedPass : Pass<"qopt-check-supported", "::mlir::ModuleOp"> {
  let summary = "reject, with a diagnostic, verifier-valid IR that no qopt "
                "pipeline can lower";
  let description = [{
    The first pass of every qopt pipeline (`--qopt-lower-to-llvm`,
    `--qopt-lower-to-gpu`, `--qopt-lower-to-nvvm`,
    `--qopt-lower-to-gpu-emulation`). It changes nothing; it reports, on the
    op concerned, IR that the verifier accepts but that an upstream pass or
    LLVM's code generation inside the pipelines would crash on, hang on or
    abort with "LLVM ERROR":

    * a vector type of more than 4096 elements (the product of its
      dimensions; a scalable dimension counts its minimum) in a result, a
      block argument or an attribute (a function's type), nested types
      such as `memref<vector<...>>` included. LLVM's code generation time
      grows faster than the vector (the NVPTX back end takes about 1.5 s for
      4096 f32 elements, 30 s for 16384, and does not finish on 10^9), and
      element counts near 2^63 end in "LLVM ERROR". qopt's own vectors are
      register tiles of 64 elements; bulk data belongs in tensors and
      memrefs. The op that carries the type is reported once, and its
      regions are not looked into;
    * a `tensor.dim` or `memref.dim` whose index is a constant that is not
      a dimension of the source (negative, or not less than the rank): its
      result is undefined, and the GPU pipelines' canonicalization crashes
      on a negative one.

    Example:

    ```mlir
    // error: qopt pipelines: 'tensor.dim' at the constant index -1, which
    // is not a dimension of 'tensor<?xf32>' (rank 1)
    %c = arith.constant -1 : index
    %n = tensor.dim %w, %c : tensor<?xf32>
    ```
  }];
}

def QOptNormalizeMatmulsPass
    : Pass<"qopt-normalize-matmuls", "::mlir::func::FuncOp"> {
  let summary = "rewrite f32 matrix products written as linalg.generic, or "
                "as linalg.matmul with transposing maps, into plain "
                "linalg.matmul";
  let description = [{
    Hand-written and imported training steps often spell their matrix
    products as `linalg.generic` (any loop order, either operand first,
    `A^T B` for a weight gradient, `A B^T` for an input gradient) or as
    `linalg.matmul` with transposing `indexing_maps`. The matmul tiling and
    vectorisation (`--qopt-tile-and-vectorize-matmuls`) only handles plain
    `linalg.matmul`, so these products used to become scalar loops.

    This pass rewrites every static f32 contraction C(m, n) += A * B on
    tensors whose operands are indexed by (m, k) or (k, m) and (k, n) or
    (n, k), and whose body is exactly `out + a * b` (`arith.mulf` then
    `arith.addf`, without fast-math flags), into `linalg.matmul` on the
    operands, transposing A or B with `linalg.transpose` where their
    layout is transposed. The arithmetic and the order of the reduction
    over k are unchanged, so the result is the same up to the matmul
    lowering's use of fused multiply-add.

    Contractions with more loops, as imported models write their linear
    layers on [batch, time, features] tensors, are handled when the loops
    split into a row group (indexing the first input and the output), a
    column group (the second input and the output) and a reduction group
    (both inputs), and each operand lists its two groups one after the
    other, each in increasing loop order: `y[b, t, n] += x[b, t, c] *
    w[n, c]` or the weight gradient `dw[n, c] += dy[b, t, n] * x[b, t, c]`.
    Each operand is collapsed to a matrix (`tensor.collapse_shape`, a view),
    the product is a `linalg.matmul` as above, and its result is expanded
    back (`tensor.expand_shape`). Anything else (other bodies, broadcasts,
    batch dimensions shared by all three operands, groups out of order,
    dynamic shapes, other element types, buffers) is left as it is. A
    function with no `linalg.generic` or `linalg.matmul` of two inputs, one
    init and three or more loops is not touched at all (not even folded):
    walking it with the rewrite driver cost 0.2 s of a 1000-tensor training
    step's compile.

    Example:

    ```mlir
    // Before: dW = X^T dY as a generic over (k, m, n)
    %dw = linalg.generic {indexing_maps = [
              affine_map<(k, m, n) -> (k, m)>,
              affine_map<(k, m, n) -> (k, n)>,
              affine_map<(k, m, n) -> (m, n)>],
            iterator_types = ["reduction", "parallel", "parallel"]}
        ins(%x, %dy : tensor<50x784xf32>, tensor<50x128xf32>)
        outs(%zero : tensor<784x128xf32>) {
    ^bb0(%a: f32, %b: f32, %acc: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    } -> tensor<784x128xf32>
    // After
    %e = tensor.empty() : tensor<784x50xf32>
    %xt = linalg.transpose ins(%x : tensor<50x784xf32>)
                           outs(%e : tensor<784x50xf32>) permutation = [1, 0]
    %dw = linalg.matmul ins(%xt, %dy : tensor<784x50xf32>, tensor<50x128xf32>)
                        outs(%zero : tensor<784x128xf32>) -> tensor<784x128xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def QOptTileAndVectorizeMatmulsPass
    : Pass<"qopt-tile-and-vectorize-matmuls", "::mlir::func::FuncOp"> {
  let summary = "tile f32 linalg.matmul ops for cache and registers, pack "
                "their operands and vectorise the register tiles";
  let description = [{
    Tiles every static `linalg.matmul` on f32 tensors twice and vectorises
    the innermost tile, on tensors, before bufferization:

    1. cache tiles of (M, N, K) = (64, 128, 256), clamped to the matmul's
       size, with the loops in the order N, K, M, so a K x N panel of B (128
       KiB) stays in L2 and is reused by every M tile; where the tile does
       not divide a dimension, the largest divisor between half the tile
       and the tile (a multiple of 4 rows or 16 columns) is used instead
       (K = 784 in tiles of 196);
    2. B's cache panel is packed once per (N, K) tile, outside the M loop,
       into a 64-byte aligned stack buffer laid out [N/16][K][16], and A's
       cache block into [M/4][K][4], so the micro-kernel streams both
       operands contiguously (a panel larger than 256 KiB is not packed);
    3. register tiles of (M, N, K) = (4, 16, 1), N outermost when A is
       packed, each vectorised into a `vector.contract` (4x16 f32
       accumulators: 8 AVX2 registers). Where 4 does not divide the rows,
       the first of 6, 5, 3, 2, 1 that does (a batch of 50 runs in tiles
       of 5 rows); where 16 does not divide the columns, 8 (or all of them
       when there are at most 16). A square register tile is avoided
       (a 4x4 C runs in 2x4 tiles): it miscompiles after the micro-kernel
       lowering, not yet root-caused. An M cache tile of at least 48 rows
       with 16-column register tiles uses (6, 16, 1) tiles instead (12
       accumulators: enough independent FMA chains to cover a 5-cycle FMA
       latency on two pipes, which 8 are not), with A packed [M/6][K][6];
       where 6 does not divide its rows, `linalg::splitOp` cuts off the
       remainder, which runs in tiles of the first of 4, 5, 3, 2, 1 rows
       that divides it (64 rows: 60 in 6x16 tiles, 4 in one 4x16 row).

    A matmul marked `qopt.symmetric` (`mlir::qopt::kSymmetricAttr`: its
    result is symmetric, as the Muon lowering's X X^T and A A are) computes
    about half of its tiles when its square C is tiled along M and N into
    several column blocks: in the column block at n (tn wide) the M loop
    stops at the first multiple of the M tile tm at or after n + tn (the
    tiles that reach the diagonal); after the tile loops, an `scf.for` nest
    fills each skipped tm x tn block below the diagonal, element by element
    (`tensor.extract` then `tensor.insert`, which bufferize in place), with
    the transpose of its mirror block above it. The attribute is a
    promise the pass does not check; it is removed from the matmul either
    way.

    A dimension is tiled only when the tile divides it (or the dimension is
    smaller than the tile), so every tile is full and has static vector
    shapes; a matmul whose columns neither 16 nor 8 divides (and that has
    more than 16), a
    dynamic one, one with an operand that is not f32 (a mixed i64 x f32
    product would build an invalid contraction), or one whose iteration
    space or operand sizes in bytes overflow 64 bits (a static dimension
    near 2^63) is left as it is and later becomes scalar loops. Other ops
    are not touched.

    Precondition: linalg on tensors, with the `TilingInterface` external
    models registered (`mlir::qopt::registerQOptDialects`); without them the
    pass reports an error on the first matmul instead of crashing.
    Afterwards: `scf.for` tile loops over `tensor.extract_slice` /
    `tensor.insert_slice`, `linalg.transpose` packing into
    `bufferization.to_tensor` views of `memref.alloca` buffers, and
    `vector.transfer_read` / `vector.contract` / `vector.transfer_write`
    micro-kernels.

    Example:

    ```mlir
    // Before
    %c = linalg.matmul ins(%a, %b : tensor<64x256xf32>, tensor<256x128xf32>)
                       outs(%acc : tensor<64x128xf32>) -> tensor<64x128xf32>
    // After (sketch)
    %pb = memref.alloca() {alignment = 64 : i64} : memref<8x256x16xf32>
    %pa = memref.alloca() {alignment = 64 : i64} : memref<16x256x4xf32>
    ... linalg.transpose ins(%b_panel) outs(%packed_b) permutation = [1, 0, 2]
    scf.for %n ... scf.for %m ... {
      %x = vector.transfer_read %packed_a[...] : ..., vector<4x1xf32>
      %y = vector.transfer_read %packed_b[...] : ..., vector<1x16xf32>
      %z = vector.contract {...} %x, %y, %acc_tile
          : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
    }
    ```
  }];
  let options = [
    Option<"parallelRows", "parallel-rows", "bool", "false",
           "Mark the loop over the M cache tiles `qopt.parallel_rows` (its "
           "tiles write disjoint rows of C) and give A's packed block a "
           "`qopt.thread_private` buffer, for --qopt-parallelize-loops">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def QOptHoistMatmulAccumulatorsPass
    : Pass<"qopt-hoist-matmul-accumulators", "::mlir::func::FuncOp"> {
  let summary = "keep each register tile of a matmul's result in vector "
                "registers across the reduction loop (on tensors)";
  let description = [{
    For every `scf.for` (inner loops first), moves loop-invariant subset
    extractions and insertions on the loop's iteration arguments out of the
    loop: a `tensor.extract_slice` / `tensor.insert_slice` pair, then the
    `vector.transfer_read` / `vector.transfer_write` pair on that slice
    (upstream `hoistLoopInvariantSubsets`, three rounds so that a value
    hoisted out of one level can leave the next). After
    `--qopt-tile-and-vectorize-matmuls` and a canonicalization (which makes
    the transfers' indices constant), the accumulator of each micro-kernel
    is then read once before the K loop, carried in a vector iteration
    argument and written once after it.

    Precondition: tensor IR (the pass does not look at memrefs). Afterwards
    the loops carry vectors where they read and wrote tensor slices; the
    computation is unchanged. Loops with nothing invariant (a transfer whose
    indices depend on the induction variable) are left alone.

    Example:

    ```mlir
    // Before
    %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %c) -> tensor<4x16xf32> {
      %t = vector.transfer_read %acc[%c0, %c0], %pad : tensor<4x16xf32>, vector<4x16xf32>
      %u = vector.contract {...} %x, %y, %t : ... into vector<4x16xf32>
      %w = vector.transfer_write %u, %acc[%c0, %c0] : vector<4x16xf32>, tensor<4x16xf32>
      scf.yield %w : tensor<4x16xf32>
    }
    // After (the loop still carries the now unchanged tensor; the next
    // canonicalization drops it)
    %t0 = vector.transfer_read %c[%c0, %c0], %pad : tensor<4x16xf32>, vector<4x16xf32>
    %v:2 = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %c, %t = %t0)
        -> (tensor<4x16xf32>, vector<4x16xf32>) {
      %u = vector.contract {...} %x, %y, %t : ... into vector<4x16xf32>
      scf.yield %acc, %u : tensor<4x16xf32>, vector<4x16xf32>
    }
    %r = vector.transfer_write %v#1, %v#0[%c0, %c0] : vector<4x16xf32>, tensor<4x16xf32>
    ```
  }];
}

def QOptLowerMatmulVectorsPass
    : Pass<"qopt-lower-matmul-vectors", "::mlir::func::FuncOp"> {
  let summary = "lower the matmul micro-kernels' vector ops to outer "
                "products and 1-D transfers (on buffers)";
  let description = [{
    After bufferization: hoists the redundant `vector.transfer_read` /
    `vector.transfer_write` pairs left on buffers out of their loops
    (upstream `hoistRedundantVectorTransfers`: the accumulator tile is read
    before the K loop and written after it), then lowers `vector.contract`
    through outer products to one broadcast and one `vector.fma` per row of
    the register tile, 1-D transfers with a minor identity (or permuted)
    map to `vector.load` / `vector.store`, and the broadcasts, shape casts,
    transposes and multi-reductions those lowerings create, so that
    `--convert-vector-to-llvm` finds only ops it handles. n-D transfers stay
    for `--convert-vector-to-scf` (fully unrolled to 1-D ones) later in the
    pipeline.

    Precondition: bufferized IR. Afterwards: no `vector.contract` remains;
    the micro-kernel is `vector.fma` on 1-D vectors. Other IR is only
    rewritten by the same vector lowering patterns; a function without
    vector types is not touched at all (not even folded).

    Example:

    ```mlir
    // Before
    scf.for %k = %c0 to %c16 step %c1 {
      %t = vector.transfer_read %c[%c0, %c0], %pad : memref<4x16xf32>, vector<4x16xf32>
      %u = vector.contract {indexing_maps = [...],
          iterator_types = ["parallel", "parallel", "reduction"],
          kind = #vector.kind<add>} %x, %y, %t
          : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
      vector.transfer_write %u, %c[%c0, %c0] : vector<4x16xf32>, memref<4x16xf32>
    }
    // After
    %t0 = vector.transfer_read %c[%c0, %c0], %pad : memref<4x16xf32>, vector<4x16xf32>
    %r = scf.for %k = %c0 to %c16 step %c1 iter_args(%t = %t0) -> (vector<4x16xf32>) {
      %y0 = vector.extract %y[0] : vector<16xf32> from vector<1x16xf32>
      %x0 = vector.extract %x[0, 0] ...
      %b0 = vector.broadcast %x0 : f32 to vector<16xf32>
      %c0row = vector.extract %t[0] : vector<16xf32> from vector<4x16xf32>
      %f0 = vector.fma %b0, %y0, %c0row : vector<16xf32>
      ... (rows 1 to 3)
      scf.yield %u : vector<4x16xf32>
    }
    vector.transfer_write %r, %c[%c0, %c0] : vector<4x16xf32>, memref<4x16xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def QOptReuseDeadInputsPass
    : Pass<"qopt-reuse-dead-inputs", "::mlir::func::FuncOp"> {
  let summary = "let an elementwise linalg.generic write its result into an "
                "input that nothing else reads";
  let description = [{
    Runs on tensors, just before one-shot bufferization. For every
    `linalg.generic` whose loops are all parallel, replaces an output
    operand (`outs`) that is a `tensor.empty` whose value the body does not
    read by an input (`ins`) operand that

    * has the same type as that output,
    * is accessed through the identity indexing map, as the output is
      (each element is read and written by the same iteration, so one-shot
      bufferization may let them share a buffer),
    * has no other use but `tensor.dim` (the generic is its only reader:
      the input is dead after it), and is not already chosen for another
      output,
    * is not known to be read-only (a `bufferization.to_tensor` without
      `writable`, a constant, a function argument with
      `bufferization.writable = false`) and is not an argument of a
      function that returns tensors (the deallocation pipeline would copy
      a returned argument buffer out again): there the tie would gain
      nothing, and an output tied to it no longer shares a buffer with
      other `tensor.empty` results.

    One-shot bufferization then writes the result into the input's buffer
    when that buffer is writable (a function argument, the result of an
    earlier op, a `bufferization.to_tensor ... writable` view), instead of
    allocating a temporary; where it is not writable (a constant, a
    read-only view), bufferization allocates as it would for the
    `tensor.empty`, without copying the input, since the body does not read
    the output. A standalone `qopt.quantize` of a dead tensor thus rounds in
    place. Outputs that `--eliminate-empty-tensors` has already tied to a
    destination (`bufferization.materialize_in_destination`,
    `tensor.insert_slice`) are no longer `tensor.empty` and are left alone.

    The computation is unchanged; only the buffer the result may live in
    differs. An input with another use (read again after the generic, or
    returned) is never chosen: writing into it would make bufferization
    copy it first.

    Example:

    ```mlir
    // Before
    %e = tensor.empty(%n) : tensor<?xf32>
    %q = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel"]}
        ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) { ... }
    // After (%x has no other use)
    %q = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel"]}
        ins(%x : tensor<?xf32>) outs(%x : tensor<?xf32>) { ... }
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def QOptBufferizePass : Pass<"qopt-bufferize", "::mlir::ModuleOp"> {
  let summary = "one-shot bufferization across function boundaries with "
                "identity layouts, in time linear in a function's signature";
  let description = [{
    The bufferization of every qopt pipeline: upstream's
    `--one-shot-bufferize` with `bufferize-function-boundaries`,
    `function-boundary-type-conversion=identity-layout-map` (plain memrefs
    for the ExecutionEngine, C callers and GPU kernels) and
    `allow-return-allocs-from-loops` (a loop that calls a step with narrow
    state converts it on every trip, so what it yields is a new buffer, not
    its iteration argument). The result is the same IR.

    Upstream's module analysis, after analyzing a function's body, asks for
    every (tensor result, tensor argument) pair whether the two alias and
    whether they are equivalent, for the `func.call`s to that function
    (which then need no copy for an argument the callee updates in place).
    A training step with n weight tensors takes 5n tensors and returns 4n:
    20 n^2 queries, 0.85 s of a 1.2 s bufferization at n = 1000.

    No call uses that answer when no function is called: then this pass
    runs the same analysis (each function's body, as upstream does),
    copy insertion and bufferization, without the per-pair boundary
    queries. A module with any `func.call` goes through upstream's
    `runOneShotModuleBufferize` unchanged.

    Example:

    ```mlir
    // Before
    func.func @step(%w: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
      %0 = linalg.sub ins(%w, %g : tensor<4xf32>, tensor<4xf32>)
                      outs(%w : tensor<4xf32>) -> tensor<4xf32>
      return %0 : tensor<4xf32>
    }
    // After: the update is in place, into the argument's buffer.
    func.func @step(%w: memref<4xf32>, %g: memref<4xf32>) -> memref<4xf32> {
      linalg.sub ins(%w, %g : memref<4xf32>, memref<4xf32>)
                 outs(%w : memref<4xf32>)
      return %w : memref<4xf32>
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def QOptBufferDeallocationPass
    : Pass<"qopt-buffer-deallocation", "::mlir::ModuleOp"> {
  let summary = "free the buffers bufferization allocates, in time linear in "
                "the size of straight-line functions";
  let description = [{
    Runs after one-shot bufferization, in place of upstream's
    `buffer-deallocation-pipeline`, which it falls back to for what it does
    not handle itself.

    Upstream's ownership-based deallocation puts one `bufferization.dealloc`
    before each `return` that lists every buffer the function allocated and
    retains every buffer it returns; simplifying that op compares them
    pairwise. A training step with n weight tensors allocates and returns
    O(n) buffers, so deallocation took O(n^2) time: 31 s of a 116 s compile
    at 1000 tensors.

    A function is *straight-line* here when its body is one block, every
    heap allocation in it is a `memref.alloc` in that block, it frees
    nothing itself, and every use of an allocated buffer is either the
    `return` or an operand of an op that neither makes a new reference to
    it (no memref or tensor result: no views, casts, calls, loops carrying
    it) nor passes it on (no terminator). Its allocations then never alias
    one another, and each is dead after its last use in the block. For
    such a function this pass

    * frees every allocation that is not returned right after the op of the
      block that uses it last (a use inside a loop counts at the loop), or
      right before the `return` when its address escapes as an integer
      (`memref.extract_aligned_pointer_as_index`: a runtime call may use
      the address later, as the data-parallel exchange does);
    * returns a fresh copy (`memref.alloc` + `memref.copy`) of a returned
      function argument or of a buffer already returned by an earlier
      operand, since the caller owns and frees every returned buffer (the
      ABI upstream's pipeline uses too).

    Functions it cannot prove straight-line (control flow, views of
    allocations, buffers returned by calls, a returned value that is
    neither an allocation nor an argument) go through
    `buffer-deallocation-pipeline` unchanged; the straight-line ones are
    hidden from it while it runs (their bodies detached), so it does not
    see their frees.

    Example:

    ```mlir
    // Before
    func.func @f(%a: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
      %t = memref.alloc() : memref<4xf32>
      %r = memref.alloc() : memref<4xf32>
      linalg.copy ins(%a : memref<4xf32>) outs(%t : memref<4xf32>)
      linalg.copy ins(%t : memref<4xf32>) outs(%r : memref<4xf32>)
      return %r, %a : memref<4xf32>, memref<4xf32>
    }
    // After
    func.func @f(%a: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
      %t = memref.alloc() : memref<4xf32>
      %r = memref.alloc() : memref<4xf32>
      linalg.copy ins(%a : memref<4xf32>) outs(%t : memref<4xf32>)
      linalg.copy ins(%t : memref<4xf32>) outs(%r : memref<4xf32>)
      memref.dealloc %t : memref<4xf32>
      %c = memref.alloc() : memref<4xf32>
      memref.copy %a, %c : memref<4xf32> to memref<4xf32>
      return %r, %c : memref<4xf32>, memref<4xf32>
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def QOptSplitEmptyTensorsPass
    : Pass<"qopt-split-empty-tensors", "::mlir::func::FuncOp"> {
  let summary = "give every use of a tensor.empty its own tensor.empty";
  let description = [{
    Runs just before `--eliminate-empty-tensors` and one-shot
    bufferization. Canonicalization and CSE merge all `tensor.empty` ops of
    one type into one value, so in a training step with n tensors of the
    same shape that one value is the `outs` operand of O(n) ops. One-shot
    bufferization's analysis (which `--eliminate-empty-tensors` also runs)
    then puts all of them into one alias set and checks every read in it
    against every write: O(n^2) time (19 s of a 86 s compile at 1000
    tensors of 256x256).

    A `tensor.empty` has no contents, so its uses never need to share a
    buffer: this pass clones one with several uses right before each use
    and erases it. The
    bufferized code is the same (each use got its own buffer anyway); only
    the analysis is linear.

    Example:

    ```mlir
    // Before
    %e = tensor.empty() : tensor<4xf32>
    %a = linalg.generic ... outs(%e : tensor<4xf32>)
    %b = linalg.generic ... outs(%e : tensor<4xf32>)
    // After
    %e = tensor.empty() : tensor<4xf32>
    %a = linalg.generic ... outs(%e : tensor<4xf32>)
    %e_0 = tensor.empty() : tensor<4xf32>
    %b = linalg.generic ... outs(%e_0 : tensor<4xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def QOptParallelizeLoopsPass
    : Pass<"qopt-parallelize-loops", "::mlir::func::FuncOp"> {
  let summary = "lower linalg ops on buffers to loop nests whose outermost "
                "parallel loop is an scf.parallel";
  let description = [{
    Runs on bufferized IR, before `--convert-linalg-to-loops`, when the CPU
    pipeline is asked for more than one thread (`--qopt-lower-to-llvm=
    "num-threads=0"` or `N > 1`); `--convert-scf-to-openmp` then turns each
    `scf.parallel` into an `omp.parallel` + `omp.wsloop`.

    First, each loop over a matmul's M cache tiles that
    `--qopt-tile-and-vectorize-matmuls{parallel-rows}` marked
    `qopt.parallel_rows` becomes an `scf.parallel`: its tiles write
    disjoint rows of C (the K loop around it stays sequential, so every
    element of C is summed in the same order), and each tile gets its own
    copy of the `qopt.thread_private` buffer it packs A's block into.

    Then each linalg op on buffers (the elementwise loops of quantize, the fused
    Adam and Muon updates, fills, transposes, matmuls left untiled) that
    is not already inside an `scf.parallel` (the matmul's M tiles) becomes
    the loop nest `--convert-linalg-to-loops` would build, except that one
    loop is an `scf.parallel`: the outermost loop whose trip count is not
    statically 1, provided it and every loop outside it iterate over
    `parallel` dimensions. Only that loop: LLVM's loop vectoriser then still
    sees the innermost loop as a plain counted loop, and a parallel
    `omp.loop_nest` of several dimensions would be collapsed into one
    linearised loop with divisions per element.

    Results do not depend on the number of threads: every iteration of a
    `parallel` dimension writes its own elements, reduction dimensions stay
    sequential `scf.for` loops inside one iteration (so a sum is added in
    the same order whatever the thread count), an op whose outermost
    dimension is a reduction (a norm) is not parallelised, and stochastic
    rounding is keyed by the element's index, not by the thread.

    Ops with fewer than `min-iterations` iterations in all (static shapes)
    stay sequential: forking threads costs more than they do.

    Example:

    ```mlir
    // Before
    linalg.generic {indexing_maps = [#id, #id],
                    iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<512x256xf32>) outs(%y : memref<512x256xf32>) {...}
    // After
    scf.parallel (%i) = (%c0) to (%c512) step (%c1) {
      scf.for %j = %c0 to %c256 step %c1 {
        %a = memref.load %x[%i, %j] : memref<512x256xf32>
        ...
        memref.store %b, %y[%i, %j] : memref<512x256xf32>
      }
    }
    ```
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", "32768",
           "Ops with static shapes and fewer iterations in all stay "
           "sequential">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def QOptOpenMPThreadAllocasPass
    : Pass<"qopt-openmp-thread-allocas", "::mlir::func::FuncOp"> {
  let summary = "inline the memref.alloca_scope of each OpenMP loop body, "
                "giving its static allocas one buffer per thread";
  let description = [{
    Runs right after `--convert-scf-to-openmp`, which wraps the body of each
    `omp.loop_nest` in a `memref.alloca_scope` so that stack buffers
    allocated in an iteration are freed at its end. That scope must be a
    single block, so `--convert-scf-to-cf` fails on it as soon as the body
    holds a loop (a row of an elementwise op, a matmul's register tiles).

    This pass removes the scope: allocas of static shape in it (the matmul's
    packed block of A) move into the enclosing `omp.parallel` region,
    before its `omp.wsloop`, so each thread allocates its buffer once and
    reuses it across the iterations it runs (an alloca's contents are
    undefined, and no iteration's buffer outlives the iteration); the rest
    of the body is inlined into the loop. A scope that still holds a
    dynamic alloca is left as it is.

    Example:

    ```mlir
    // Before
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%c4) step (%c1) {
          memref.alloca_scope {
            %a = memref.alloca() : memref<64xf32>
            ...
          }
          omp.yield
        }
      }
      omp.terminator
    }
    // After
    omp.parallel {
      %a = memref.alloca() : memref<64xf32>
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%c4) step (%c1) {
          ...
          omp.yield
        }
      }
      omp.terminator
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::omp::OpenMPDialect",
  ];
}

def QOptUnswitchInvariantSelectsPass
    : Pass<"qopt-unswitch-invariant-selects", "::mlir::func::FuncOp"> {
  let summary = "version innermost loops on the condition of a "
                "loop-invariant select";
  let description = [{
    An innermost `scf.for` or `scf.parallel` without results whose body
    contains an `arith.select` on an `i1` defined outside the loop (not a
    constant)
    becomes `scf.if %cond { loop } else { loop }`, and in each copy the
    selects on that condition are replaced by the operand they pick. One
    condition per loop, so the code grows at most twofold.

    Why: stochastic rounding of a tensor with a dynamic shape mixes the high
    half of each element's 64-bit index into its hash only when the tensor
    may have more than 2^32 elements, a condition computed once before the
    loop. Left as a select, it makes LLVM's vectorizer carry the index in
    64-bit lanes (on AVX2, four shuffles per 8 elements); versioned, the
    common loop hashes a 32-bit index. LLVM's own unswitching does this only
    for loops that are not nested in another one.

    Example:

    ```mlir
    // Before
    scf.for %i = %c0 to %n step %c1 {
      %h = arith.select %wide, %high, %c0_i32 : i32
      ...
    }
    // After
    scf.if %wide {
      scf.for %i = %c0 to %n step %c1 { ... uses %high ... }
    } else {
      scf.for %i = %c0 to %n step %c1 { ... uses %c0_i32 ... }
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def QOptPrefetchStreamsPass
    : Pass<"qopt-prefetch-streams", "::mlir::func::FuncOp"> {
  let summary = "prefetch ahead of long loops that stream through 1-D "
                "memrefs";
  let description = [{
    Runs after `--convert-linalg-to-loops` in the CPU pipeline. An innermost
    `scf.for` with step 1, no results, and a dynamic trip count or one of at
    least `min-iterations`, that reads (`memref.load`) rank-1 unit-stride
    memrefs defined outside it at exactly its induction variable, is
    strip-mined into blocks of `block` iterations. Before each block, one
    `memref.prefetch` (read, locality 3) per 64-byte cache line fetches, for
    each such memref, the elements `distance` iterations ahead of the block.

    Why: a loop that does more work per element than a copy, such as
    stochastic rounding's hash, issues its loads too slowly for the hardware
    prefetchers to keep the memory busy; on the project's AVX2 machine the
    stochastic quantize of 64M floats ran at 0.77 of a copy loop's
    throughput without it and 0.88 with it (bench/README.md). Prefetches
    issued in bursts ahead of the block, not one per iteration, leave the
    inner loop as it was, so it still vectorizes. Loops the OpenMP lowering
    parallelizes (`scf.parallel`), multi-dimensional loops and stores are
    left alone. The results do not change: prefetches are hints, and they
    stay inside the loop's range.

    Example (`block=1024 distance=2048`):

    ```mlir
    // Before
    scf.for %i = %c0 to %n step %c1 {
      %v = memref.load %x[%i] : memref<?xf32>
      memref.store %v, %y[%i] : memref<?xf32>
    }
    // After
    scf.for %b = %c0 to %n step %c1024 {
      %e = arith.minsi (%b + 1024), %n
      scf.for %p = %b + 2048 to min(%e + 2048, %n) step %c16 {
        memref.prefetch %x[%p], read, locality<3>, data : memref<?xf32>
      }
      scf.for %i = %b to %e step %c1 {
        %v = memref.load %x[%i] : memref<?xf32>
        memref.store %v, %y[%i] : memref<?xf32>
      }
    }
    ```
  }];
  let options = [
    Option<"block", "block", "int64_t", "1024",
           "Iterations per block (one burst of prefetches per block)">,
    Option<"distance", "distance", "int64_t", "2048",
           "How many iterations ahead of a block its prefetches reach; 0 "
           "disables the pass">,
    Option<"minIterations", "min-iterations", "int64_t", "65536",
           "Loops with a static trip count below this are left alone">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def QOptSplitBlocksAtLoopsPass
    : Pass<"qopt-split-blocks-at-loops", "::mlir::func::FuncOp"> {
  let summary = "end a block after each top-level scf loop or branch, so "
                "that --convert-scf-to-cf stays linear";
  let description = [{
    Runs just before `--convert-scf-to-cf`. That conversion splits the block
    of each `scf.for`, `scf.while`, `scf.if` (every scf op with regions) at
    the op and moves all the ops after it into a new block. A training step
    with n tensors has O(n) loops in one block, so the conversion moves
    O(n^2) ops in all (1.5 s of a 20 s compile at 1000 tensors of 256x256).

    This pass splits the function's blocks right after each such op, walking
    each block backwards so that each split moves only the ops up to the
    next loop: O(n) in all. The new blocks are chained with `cf.br` and
    merge again when the LLVM code is simplified. The semantics do not
    change. Only the blocks of the function's body are split; the single
    blocks of scf regions cannot be.

    Example:

    ```mlir
    // Before
    func.func @f(%m: memref<4xf32>, %x: f32) {
      scf.for %i = %c0 to %c4 step %c1 { memref.store %x, %m[%i] : memref<4xf32> }
      scf.for %i = %c0 to %c4 step %c1 { memref.store %x, %m[%i] : memref<4xf32> }
      return
    }
    // After
    func.func @f(%m: memref<4xf32>, %x: f32) {
      scf.for %i = %c0 to %c4 step %c1 { memref.store %x, %m[%i] : memref<4xf32> }
      cf.br ^bb1
    ^bb1:
      scf.for %i = %c0 to %c4 step %c1 { memref.store %x, %m[%i] : memref<4xf32> }
      cf.br ^bb2
    ^bb2:
      return
    }
    ```
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect"];
}

#endif // QOPT_PIPELINES_PASSES_TD
