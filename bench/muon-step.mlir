// The Muon steps the benchmark times: momentum, normalisation, five
// Newton-Schulz steps (15 matmuls: 1024^3 each on a 1024x1024 weight) and
// the update, in place on W and B. The default run times @muon_1024;
// --muon-only also 512x512, 2048x512 (tall: orthogonalised transposed) and
// 2048x2048.
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

func.func @muon_512(%w: memref<512x512xf32>, %g: memref<512x512xf32>,
                     %b: memref<512x512xf32>)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable
      : memref<512x512xf32> to tensor<512x512xf32>
  %gt = bufferization.to_tensor %g restrict
      : memref<512x512xf32> to tensor<512x512xf32>
  %bt = bufferization.to_tensor %b restrict writable
      : memref<512x512xf32> to tensor<512x512xf32>
  %w1, %b1 = qopt.muon_update %wt, %gt, %bt {lr = 2.0e-2 : f32}
      : tensor<512x512xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w
      : (tensor<512x512xf32>, memref<512x512xf32>) -> ()
  bufferization.materialize_in_destination %b1 in restrict writable %b
      : (tensor<512x512xf32>, memref<512x512xf32>) -> ()
  return
}

func.func @muon_2048x512(%w: memref<2048x512xf32>, %g: memref<2048x512xf32>,
                     %b: memref<2048x512xf32>)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable
      : memref<2048x512xf32> to tensor<2048x512xf32>
  %gt = bufferization.to_tensor %g restrict
      : memref<2048x512xf32> to tensor<2048x512xf32>
  %bt = bufferization.to_tensor %b restrict writable
      : memref<2048x512xf32> to tensor<2048x512xf32>
  %w1, %b1 = qopt.muon_update %wt, %gt, %bt {lr = 2.0e-2 : f32}
      : tensor<2048x512xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w
      : (tensor<2048x512xf32>, memref<2048x512xf32>) -> ()
  bufferization.materialize_in_destination %b1 in restrict writable %b
      : (tensor<2048x512xf32>, memref<2048x512xf32>) -> ()
  return
}

func.func @muon_2048(%w: memref<2048x2048xf32>, %g: memref<2048x2048xf32>,
                     %b: memref<2048x2048xf32>)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable
      : memref<2048x2048xf32> to tensor<2048x2048xf32>
  %gt = bufferization.to_tensor %g restrict
      : memref<2048x2048xf32> to tensor<2048x2048xf32>
  %bt = bufferization.to_tensor %b restrict writable
      : memref<2048x2048xf32> to tensor<2048x2048xf32>
  %w1, %b1 = qopt.muon_update %wt, %gt, %bt {lr = 2.0e-2 : f32}
      : tensor<2048x2048xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w
      : (tensor<2048x2048xf32>, memref<2048x2048xf32>) -> ()
  bufferization.materialize_in_destination %b1 in restrict writable %b
      : (tensor<2048x2048xf32>, memref<2048x2048xf32>) -> ()
  return
}
