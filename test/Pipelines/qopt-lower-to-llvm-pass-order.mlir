// RUN: qopt-opt %s --qopt-lower-to-llvm --dump-pass-pipeline 2>&1 | FileCheck %s

/// The order of --qopt-lower-to-llvm's passes where it matters for compile
/// time (bench/compile-time.py): qopt's bufferization (no quadratic
/// function-boundary analysis without calls), and the greedy rewrites
/// (expand-strided-metadata, lower-affine, convert-vector-to-llvm) before
/// convert-scf-to-cf, while a function is still a few blocks of loops.

// CHECK: qopt-split-empty-tensors
// CHECK: eliminate-empty-tensors
// CHECK: qopt-reuse-dead-inputs
// CHECK-NEXT: ),
// CHECK-NEXT: qopt-bufferize,
// CHECK-NEXT: qopt-buffer-deallocation,
// CHECK: qopt-split-blocks-at-loops
// CHECK-NEXT: ),
// CHECK-NEXT: expand-strided-metadata,
// CHECK-NEXT: lower-affine,
// CHECK-NEXT: convert-vector-to-llvm{{.*}},
// CHECK-NEXT: convert-scf-to-cf{allow-pattern-rollback=false},
// CHECK-NEXT: finalize-memref-to-llvm{{.*}},
// CHECK-NEXT: convert-to-llvm{allow-pattern-rollback=false{{.*}}},
// CHECK-NEXT: reconcile-unrealized-casts

// CHECK-LABEL: llvm.func @empty
// CHECK-NEXT: llvm.return
func.func @empty() {
  return
}
