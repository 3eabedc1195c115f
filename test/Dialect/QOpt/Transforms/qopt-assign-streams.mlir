// RUN: qopt-opt %s --qopt-assign-streams --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-assign-streams --qopt-assign-streams --split-input-file | FileCheck %s

/// Stochastic quantizes without a stream get the smallest free values in
/// walk order, past the ones written by hand (here 0 and 2), across the
/// functions of the module; other quantizes get none.

// CHECK-LABEL: func.func @first
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> seed %{{.*}} step %{{.*}} stream 1 :
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> seed %{{.*}} step %{{.*}} stream 2 :
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> seed %{{.*}} step %{{.*}} stream 3 :
// CHECK: qopt.quantize %{{.*}} to <bf16> : tensor<8xf32>
func.func @first(%x: tensor<8xf32>, %s: i64, %t: i64) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %0 = qopt.quantize %x to <bf16> rounding <stochastic> seed %s step %t : tensor<8xf32>
  %1 = qopt.quantize %x to <bf16> rounding <stochastic> seed %s step %t stream 2 : tensor<8xf32>
  %2 = qopt.quantize %x to <bf16> rounding <stochastic> seed %s step %t : tensor<8xf32>
  %3 = qopt.quantize %x to <bf16> : tensor<8xf32>
  return %0, %1, %2, %3 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @second
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> seed %{{.*}} step %{{.*}} stream 0 :
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> seed %{{.*}} step %{{.*}} stream 4 :
func.func @second(%x: tensor<8xf32>, %s: i64, %t: i64) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = qopt.quantize %x to <bf16> rounding <stochastic> seed %s step %t stream 0 : tensor<8xf32>
  %1 = qopt.quantize %x to <e8m3> rounding <stochastic> seed %s step %t : tensor<8xf32>
  return %0, %1 : tensor<8xf32>, tensor<8xf32>
}

// -----

/// Each module of a split file is numbered on its own.

// CHECK-LABEL: func.func @alone
// CHECK: qopt.quantize %{{.*}} rounding <stochastic> seed %{{.*}} step %{{.*}} stream 0 :
func.func @alone(%x: tensor<8xf32>, %s: i64, %t: i64) -> tensor<8xf32> {
  %0 = qopt.quantize %x to <bf16> rounding <stochastic> seed %s step %t : tensor<8xf32>
  return %0 : tensor<8xf32>
}
