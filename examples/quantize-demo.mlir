// The first demo of qopt: one tensor quantized to several formats and rounding
// modes through the compiled CPU pipeline.
//
//   qopt-opt examples/quantize-demo.mlir --qopt-lower-to-llvm \
//     | mlir-runner -e main -entry-point-result=void \
//         -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so \
//         -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so

func.func private @printMemrefF32(tensor<*xf32>)

func.func @show(%x: tensor<8xf32>) {
  %u = tensor.cast %x : tensor<8xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  // pi, e, a tie for bf16, a value past fp8_e4m3's range, an fp16
  // subnormal, -0, +inf and a value that fp8_e5m2 keeps only as a subnormal.
  %x = arith.constant dense<[3.14159274, 2.71828175, 1.00390625, 500.0,
                             1.0e-6, -0.0, 0x7F800000, 2.0e-5]> : tensor<8xf32>
  %seed = arith.constant 42 : i64
  %step = arith.constant 1 : i64
  call @show(%x) : (tensor<8xf32>) -> ()
  %bf16 = qopt.quantize %x to <bf16> : tensor<8xf32>
  call @show(%bf16) : (tensor<8xf32>) -> ()
  %fp16 = qopt.quantize %x to <fp16> : tensor<8xf32>
  call @show(%fp16) : (tensor<8xf32>) -> ()
  %e4m3 = qopt.quantize %x to <fp8_e4m3> : tensor<8xf32>
  call @show(%e4m3) : (tensor<8xf32>) -> ()
  %e4m3s = qopt.quantize %x to <fp8_e4m3, overflow = saturate> rounding <toward_zero> : tensor<8xf32>
  call @show(%e4m3s) : (tensor<8xf32>) -> ()
  %e5m2 = qopt.quantize %x to <fp8_e5m2> rounding <stochastic> seed %seed step %step : tensor<8xf32>
  call @show(%e5m2) : (tensor<8xf32>) -> ()
  %e5m2f = qopt.quantize %x to <fp8_e5m2, subnormals = flush> : tensor<8xf32>
  call @show(%e5m2f) : (tensor<8xf32>) -> ()
  return
}
