// REQUIRES: ptxas
// RUN: qopt-opt %s --qopt-lower-to-nvvm > %t.mlir
// RUN: %python %qopt_src/utils/extract-ptx.py %t.mlir %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: FileCheck %s --input-file=%t.ptx

/// Newton-Schulz matmuls (A = X X^T, then A A) on the GPU: the
/// register-blocked kernels of qopt-gpu-map-matmul assemble for sm_90, with
/// 16 independent multiply-adds per K step.

// CHECK-DAG: .visible .entry gram_kernel(
// CHECK-DAG: .visible .entry square_kernel(
// CHECK-COUNT-16: mul.rn.f32
func.func @gram(%x: memref<128x256xf32>, %xt: memref<256x128xf32>,
                %a: memref<128x128xf32>) {
  linalg.matmul ins(%x, %xt : memref<128x256xf32>, memref<256x128xf32>)
                outs(%a : memref<128x128xf32>)
  return
}

func.func @square(%a: memref<128x128xf32>, %aa: memref<128x128xf32>) {
  linalg.matmul ins(%a, %a : memref<128x128xf32>, memref<128x128xf32>)
                outs(%aa : memref<128x128xf32>)
  return
}
