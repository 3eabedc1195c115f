// RUN: qopt-opt %s --qopt-lower-to-llvm --dump-pass-pipeline 2>&1 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm="prefetch-distance=0" --dump-pass-pipeline 2>&1 | FileCheck %s --check-prefix=NOPREFETCH

/// The order of --qopt-lower-to-llvm's passes where it matters for compile
/// time (bench/compile-time.py): qopt's bufferization (no quadratic
/// function-boundary analysis without calls), and the greedy rewrites
/// (expand-strided-metadata, lower-affine, convert-vector-to-llvm) before
/// convert-scf-to-cf, while a function is still a few blocks of loops.
/// The loop versioning and prefetches come after the loops exist, before
/// the vectors and loops are lowered.

// CHECK: qopt-split-empty-tensors
// CHECK: eliminate-empty-tensors
// CHECK: qopt-reuse-dead-inputs
// CHECK-NEXT: ),
// CHECK-NEXT: qopt-bufferize,
// CHECK-NEXT: qopt-buffer-deallocation,
// CHECK: convert-linalg-to-loops
// CHECK: qopt-unswitch-invariant-selects
// CHECK: qopt-prefetch-streams{block=1024 distance=2048 min-iterations=65536}
// CHECK: qopt-split-blocks-at-loops
// CHECK-NEXT: ),
// CHECK-NEXT: expand-strided-metadata,
// CHECK-NEXT: lower-affine,
// CHECK-NEXT: convert-vector-to-llvm{{.*}},
// CHECK-NEXT: convert-scf-to-cf{allow-pattern-rollback=false},
// CHECK-NEXT: finalize-memref-to-llvm{{.*}},
// CHECK-NEXT: convert-to-llvm{allow-pattern-rollback=false{{.*}}},
// CHECK-NEXT: reconcile-unrealized-casts

// NOPREFETCH: qopt-unswitch-invariant-selects
// NOPREFETCH-NOT: qopt-prefetch-streams
// NOPREFETCH: reconcile-unrealized-casts

// CHECK-LABEL: llvm.func @empty
// CHECK-NEXT: llvm.return
func.func @empty() {
  return
}
