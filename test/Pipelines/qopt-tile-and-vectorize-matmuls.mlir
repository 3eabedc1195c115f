// RUN: qopt-opt %s --split-input-file --qopt-tile-and-vectorize-matmuls | FileCheck %s

/// A matmul whose sizes the register tile (4 x 16 x 1) divides: one cache
/// tile per dimension (the sizes are below the cache tile), B packed into
/// [N/16][K][16] and A into [M/4][K][4] stack buffers allocated at the
/// function's entry, then register-tile loops (N, M, K) around one
/// vector.contract on vector<4x1> x vector<1x16> into vector<4x16>.
// CHECK-LABEL: func.func @vectorized
// CHECK-SAME: (%[[A:.*]]: tensor<8x4xf32>, %[[B:.*]]: tensor<4x16xf32>, %[[C:.*]]: tensor<8x16xf32>)
// CHECK-DAG: %[[PACKA:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x4x4xf32>
// CHECK-DAG: %[[PACKB:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x4x16xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[VB:.*]] = bufferization.to_tensor %[[PACKB]] restrict writable
// CHECK: %[[TB:.*]] = linalg.transpose ins(%{{.*}} : tensor<4x1x16xf32>) outs(%[[VB]] : tensor<1x4x16xf32>) permutation = [1, 0, 2]
// CHECK: scf.for
// CHECK: %[[VA:.*]] = bufferization.to_tensor %[[PACKA]] restrict writable
// CHECK: %[[TA:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x4x4xf32>) outs(%[[VA]] : tensor<2x4x4xf32>) permutation = [0, 2, 1]
// CHECK: scf.for %{{.*}} step %c16
// CHECK: scf.for %{{.*}} step %c4
// CHECK: scf.for %{{.*}} step %c1
// CHECK: tensor.extract_slice %[[TA]]{{.*}} to tensor<4xf32>
// CHECK: tensor.extract_slice %[[TB]]{{.*}} to tensor<1x16xf32>
// CHECK: vector.transfer_read {{.*}} vector<4x1xf32>
// CHECK: vector.transfer_read {{.*}} vector<1x16xf32>
// CHECK: vector.transfer_read {{.*}} vector<4x16xf32>
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK: vector.transfer_write
// CHECK-NOT: linalg.matmul
// CHECK: return
func.func @vectorized(%a: tensor<8x4xf32>, %b: tensor<4x16xf32>,
                      %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x16xf32>)
                     outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

/// A square register tile on a square C (4 x 4, K = 8): A's pack [1][8][4]
/// and B's pack [1][8][4] have the same shape and are live at the same time,
/// so each gets its own stack buffer (sharing one made the A pack overwrite
/// B's and gave wrong products).
// CHECK-LABEL: func.func @square_register_tile
// CHECK: %[[PACK1:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x8x4xf32>
// CHECK: %[[PACK2:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x8x4xf32>
// CHECK: bufferization.to_tensor %[[PACK2]] restrict writable
// CHECK: linalg.transpose ins(%{{.*}} : tensor<8x1x4xf32>) outs(%{{.*}} : tensor<1x8x4xf32>) permutation = [1, 0, 2]
// CHECK: bufferization.to_tensor %[[PACK1]] restrict writable
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x4x8xf32>) outs(%{{.*}} : tensor<1x8x4xf32>) permutation = [0, 2, 1]
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x4xf32> into vector<4x4xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return
func.func @square_register_tile(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>,
                                %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>)
                     outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

/// Larger than the cache tile: M = 128 is split into two cache tiles of 64
/// rows, N = 256 into two of 128 columns; the packed panels keep the cache
/// tile's shape. A 64-row cache tile (at least 48 rows) is split into 60
/// rows of 6x16 register tiles (12 accumulators) and a remainder of 4 rows
/// of 4x16 tiles, each with its own packing of A.
// CHECK-LABEL: func.func @cache_tiled
// CHECK-DAG: %[[PACKA4:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x256x4xf32>
// CHECK-DAG: %[[PACKA6:.*]] = memref.alloca() {alignment = 64 : i64} : memref<10x256x6xf32>
// CHECK-DAG: memref.alloca() {alignment = 64 : i64} : memref<8x256x16xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %c256 step %c128
// CHECK: scf.for %{{.*}} = %{{.*}} to %c256{{.*}} step %c256
// CHECK: scf.for %{{.*}} = %{{.*}} to %c128{{.*}} step %c64
// CHECK: bufferization.to_tensor %[[PACKA6]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %c60 step %c6
// CHECK: vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK: bufferization.to_tensor %[[PACKA4]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %c4 step %c4
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return
func.func @cache_tiled(%a: tensor<128x256xf32>, %b: tensor<256x256xf32>,
                       %c: tensor<128x256xf32>) -> tensor<128x256xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<128x256xf32>, tensor<256x256xf32>)
                     outs(%c : tensor<128x256xf32>) -> tensor<128x256xf32>
  return %0 : tensor<128x256xf32>
}

// -----

/// A batch of 50 rows (4 does not divide it) runs in register tiles of 5
/// rows, 24 columns (16 does not divide them) in tiles of 8; K = 784 (256
/// does not divide it) is cache-tiled by 196.
// CHECK-LABEL: func.func @uneven_register_tiles
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<3x196x8xf32>
// CHECK: scf.for %{{.*}} step %c196
// CHECK: vector.contract {{.*}} : vector<5x1xf32>, vector<1x8xf32> into vector<5x8xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return
func.func @uneven_register_tiles(%a: tensor<50x784xf32>,
                                 %b: tensor<784x24xf32>,
                                 %c: tensor<50x24xf32>) -> tensor<50x24xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<50x784xf32>, tensor<784x24xf32>)
                     outs(%c : tensor<50x24xf32>) -> tensor<50x24xf32>
  return %0 : tensor<50x24xf32>
}

// -----

/// negative: 20 columns are more than 16 and neither 16 nor 8 divides
/// them; the matmul stays (it becomes scalar loops later).
// CHECK-LABEL: func.func @negative_ragged
// CHECK-NOT: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<6x5xf32>, tensor<5x20xf32>)
// CHECK-NOT: vector.
func.func @negative_ragged(%a: tensor<6x5xf32>, %b: tensor<5x20xf32>,
                           %c: tensor<6x20xf32>) -> tensor<6x20xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<6x5xf32>, tensor<5x20xf32>)
                     outs(%c : tensor<6x20xf32>) -> tensor<6x20xf32>
  return %0 : tensor<6x20xf32>
}

/// negative: a matmul with transposing maps is left to
/// --qopt-normalize-matmuls.
// CHECK-LABEL: func.func @negative_mapped
// CHECK-NOT: scf.for
// CHECK: linalg.matmul indexing_maps
// CHECK-NOT: vector.
func.func @negative_mapped(%a: tensor<4x8xf32>, %b: tensor<4x16xf32>,
                           %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %0 = linalg.matmul indexing_maps = [
          affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
          affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<4x8xf32>, tensor<4x16xf32>)
      outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

/// negative: dynamic sizes have no static register tile.
// CHECK-LABEL: func.func @negative_dynamic
// CHECK-NOT: scf.for
// CHECK: linalg.matmul
// CHECK-NOT: vector.
func.func @negative_dynamic(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>,
                            %c: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>)
                     outs(%c : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

/// negative: the micro-kernel is an f32 FMA; a mixed i64 x f32 product is
/// left alone.
// CHECK-LABEL: func.func @negative_mixed_types
// CHECK-NOT: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x4xi64>, tensor<4x16xf32>)
// CHECK-NOT: vector.
func.func @negative_mixed_types(%a: tensor<8x4xi64>, %b: tensor<4x16xf32>,
                                %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x4xi64>, tensor<4x16xf32>)
                     outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

/// negative: buffers are not tiled (the pass runs before bufferization).
// CHECK-LABEL: func.func @negative_buffers
// CHECK-NOT: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<8x4xf32>, memref<4x16xf32>)
func.func @negative_buffers(%a: memref<8x4xf32>, %b: memref<4x16xf32>,
                            %c: memref<8x16xf32>) {
  linalg.matmul ins(%a, %b : memref<8x4xf32>, memref<4x16xf32>)
                outs(%c : memref<8x16xf32>)
  return
}

// -----

/// negative: a reduction of 2^63 - 1 elements (Muon on a 1 x (2^63 - 1)
/// weight); the operands' sizes in bytes overflow int64_t, so the matmul is
/// neither tiled nor packed (it used to overflow computing B's panel size).
// CHECK-LABEL: func.func @negative_overflowing_sizes
// CHECK-NOT: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x9223372036854775807xf32>, tensor<9223372036854775807x1xf32>)
// CHECK-NOT: vector.
func.func @negative_overflowing_sizes(%a: tensor<1x9223372036854775807xf32>,
                                      %b: tensor<9223372036854775807x1xf32>,
                                      %c: tensor<1x1xf32>) -> tensor<1x1xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<1x9223372036854775807xf32>, tensor<9223372036854775807x1xf32>)
                     outs(%c : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

/// An empty matmul (M = N = 0, as Muon's Newton-Schulz product on a 0 x 7
/// weight) is left alone (it used to crash the tiling: fuzzer finding).
// CHECK-LABEL: func.func @empty_matmul
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<0x7xf32>, tensor<7x0xf32>)
// CHECK-NOT: scf.for
func.func @empty_matmul(%a: tensor<0x7xf32>, %b: tensor<7x0xf32>, %c: tensor<0x0xf32>) -> tensor<0x0xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<0x7xf32>, tensor<7x0xf32>) outs(%c : tensor<0x0xf32>) -> tensor<0x0xf32>
  return %r : tensor<0x0xf32>
}

// -----

/// A symmetric product (qopt.symmetric, as the Muon lowering marks X X^T):
/// C = 192 x 192 in column blocks of 96 and row tiles of 64. The row loop
/// of the column block at n stops at the first multiple of 64 at or after
/// n + 96 (128 for n = 0: the tile of rows 128..191 lies below the
/// diagonal and is skipped; all of them for n = 96). A second loop nest
/// then fills each skipped 64 x 96 block, element by element, with the
/// transpose of its mirror above the diagonal. The attribute does not
/// survive on the tiles.
// CHECK-LABEL: func.func @symmetric
// CHECK-SAME: %[[C:[a-z0-9]+]]: tensor<192x192xf32>)
// CHECK-NOT: qopt.symmetric
// CHECK: %[[TILED:.*]] = scf.for %[[N:.*]] = %{{.*}} to %c192 step %c96 iter_args(%{{.*}} = %[[C]])
// CHECK: %[[REACH:.*]] = arith.addi %[[N]], %c96
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[REACH]], %[[C64:.*]] : index
// CHECK: %[[ROUNDED:.*]] = arith.muli %[[TILES]], %[[C64]] : index
// CHECK: %[[BOUND:.*]] = arith.minui %[[ROUNDED]], %c192
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BOUND]] step %c64
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK: %[[FULL:.*]] = scf.for %[[JB:.*]] = %{{.*}} to %c96{{.*}} step %c96{{.*}} iter_args(%{{.*}} = %[[TILED]])
// CHECK: %[[BELOW:.*]] = arith.addi %[[JB]], %c96
// CHECK: %[[FIRST:.*]] = arith.ceildivui %[[BELOW]]
// CHECK: %[[START:.*]] = arith.muli %[[FIRST]]
// CHECK: scf.for %[[IB:.*]] = %[[START]] to %c192{{.*}} step %c64{{.*}} iter_args
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %c64{{.*}} step %c1 iter_args
// CHECK: %[[ROW:.*]] = arith.addi %[[IB]], %[[R]]
// CHECK: scf.for %[[CC:.*]] = %{{.*}} to %c96{{.*}} step %c1 iter_args(%[[ACC:.*]] = %{{.*}})
// CHECK: %[[COL:.*]] = arith.addi %[[JB]], %[[CC]]
// CHECK: %[[V:.*]] = tensor.extract %[[ACC]][%[[COL]], %[[ROW]]]
// CHECK: tensor.insert %[[V]] into %[[ACC]][%[[ROW]], %[[COL]]]
// CHECK-NOT: linalg.matmul
// CHECK: return %[[FULL]]
func.func @symmetric(%a: tensor<192x64xf32>, %b: tensor<64x192xf32>,
                     %c: tensor<192x192xf32>) -> tensor<192x192xf32> {
  %0 = linalg.matmul {qopt.symmetric}
      ins(%a, %b : tensor<192x64xf32>, tensor<64x192xf32>)
      outs(%c : tensor<192x192xf32>) -> tensor<192x192xf32>
  return %0 : tensor<192x192xf32>
}

// -----

/// negative: a symmetric product whose C is a single column block (128
/// columns fit the cache tile) has no tile below a block's diagonal: it is
/// tiled as any matmul, with no shortened row loop and no mirror.
// CHECK-LABEL: func.func @negative_symmetric_one_block
// CHECK-NOT: qopt.symmetric
// CHECK-NOT: arith.minui
// CHECK: scf.for %{{.*}} = %{{.*}} to %c128{{.*}} step %c64
// CHECK: vector.contract
// CHECK-NOT: tensor.insert {{.*}}tensor<128x128xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return
func.func @negative_symmetric_one_block(%a: tensor<128x32xf32>,
                                        %b: tensor<32x128xf32>,
                                        %c: tensor<128x128xf32>)
    -> tensor<128x128xf32> {
  %0 = linalg.matmul {qopt.symmetric}
      ins(%a, %b : tensor<128x32xf32>, tensor<32x128xf32>)
      outs(%c : tensor<128x128xf32>) -> tensor<128x128xf32>
  return %0 : tensor<128x128xf32>
}
