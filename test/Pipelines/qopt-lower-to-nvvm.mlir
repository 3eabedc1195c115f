// RUN: qopt-opt %s --qopt-lower-to-nvvm | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-nvvm="format=llvm" | FileCheck %s --check-prefix=LLVM

/// --qopt-lower-to-nvvm: the host function is in the LLVM dialect and
/// launches the kernel of a gpu.binary; by default (format=isa) the binary
/// holds PTX text for sm_90 (test/GPU assembles it with ptxas where CUDA is
/// installed).

// CHECK-LABEL: llvm.func @quantize
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization|arith|func)\.}}
// CHECK: gpu.launch_func @[[BIN:[a-z_]+]]::@{{[a-z_]+}} blocks in
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization|arith|func)\.}}
// CHECK: llvm.return
// CHECK-NEXT: }
// CHECK: gpu.binary @[[BIN]] [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90{{.*}}.visible .entry

/// format=llvm embeds LLVM bitcode (offload) instead, for a JIT elsewhere.
// LLVM: gpu.binary @{{.*}} [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, offload = "BC

func.func @quantize(%x: memref<1024xf32>, %y: memref<1024xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<1024xf32> to tensor<1024xf32>
  %q = qopt.quantize %t to <bf16> : tensor<1024xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<1024xf32>, memref<1024xf32>) -> ()
  return
}
