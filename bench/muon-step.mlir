// The Muon step the benchmark times on a 1024x1024 weight: momentum,
// normalisation, five Newton-Schulz steps (15 matmuls of 1024^3) and the
// update, in place on W and B.
func.func @muon_1024(%w: memref<1024x1024xf32>, %g: memref<1024x1024xf32>,
                     %b: memref<1024x1024xf32>)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable
      : memref<1024x1024xf32> to tensor<1024x1024xf32>
  %gt = bufferization.to_tensor %g restrict
      : memref<1024x1024xf32> to tensor<1024x1024xf32>
  %bt = bufferization.to_tensor %b restrict writable
      : memref<1024x1024xf32> to tensor<1024x1024xf32>
  %w1, %b1 = qopt.muon_update %wt, %gt, %bt {lr = 2.0e-2 : f32}
      : tensor<1024x1024xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w
      : (tensor<1024x1024xf32>, memref<1024x1024xf32>) -> ()
  bufferization.materialize_in_destination %b1 in restrict writable %b
      : (tensor<1024x1024xf32>, memref<1024x1024xf32>) -> ()
  return
}
