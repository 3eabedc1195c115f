// RUN: qopt-opt %s --qopt-lower-to-llvm | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | qopt-opt \
// RUN:   | FileCheck %s --check-prefix=REPARSED

// A lowered training step returns one literal LLVM struct with a memref
// descriptor per state tensor, and each llvm.insertvalue that packs it
// prints its type. Where the qopt dialect is loaded, literal structs of 8 or
// more members print as an alias defined once, so the text grows linearly
// with the number of tensors; smaller structs (a memref descriptor has 5
// members) stay inline. The alias parses back; IR without qopt ops does not
// load the dialect, so it prints the struct inline again.

// REPARSED-NOT: !llvm_struct
// REPARSED-LABEL: llvm.func @eight_results
// REPARSED-SAME: -> !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<

// CHECK: !llvm_struct = !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
// CHECK-NOT: !llvm_struct1 =

// CHECK-LABEL: llvm.func @eight_results
// CHECK-SAME: -> !llvm_struct
// CHECK: llvm.insertvalue %{{.*}}, %{{.*}}[7] : !llvm_struct
// CHECK: llvm.return %{{.*}} : !llvm_struct
func.func @eight_results(%x: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
        tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %q = qopt.quantize %x to <bf16> : tensor<4xf32>
  return %q, %q, %q, %q, %q, %q, %q, %q
      : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
        tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: llvm.func @two_results
// CHECK-SAME: -> !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
// CHECK: llvm.return %{{.*}} : !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
func.func @two_results(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %q = qopt.quantize %x to <bf16> : tensor<4xf32>
  return %q, %x : tensor<4xf32>, tensor<4xf32>
}
