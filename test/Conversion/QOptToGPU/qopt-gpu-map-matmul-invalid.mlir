// RUN: qopt-opt %s --qopt-gpu-map-matmul="tile=64 thread-tile=3" -verify-diagnostics
// RUN: qopt-opt %s --qopt-gpu-map-matmul="tile=256 thread-tile=2" -verify-diagnostics

/// Tiles that do not split into whole thread tiles, or need more than 1024
/// threads a block, are rejected.
// expected-error @+1 {{qopt-gpu-map-matmul: tile (}}
func.func @bad_tiles(%a: memref<8x8xf32>, %b: memref<8x8xf32>, %c: memref<8x8xf32>) {
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x8xf32>) outs(%c : memref<8x8xf32>)
  return
}
