// A linear softmax classifier of 4x4 images into 10 classes, batch 8, for
// the qopt-run data tests.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

func.func private @logits(%x: tensor<8x16xf32>, %w: tensor<16x10xf32>) -> tensor<8x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %l = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x10xf32>) outs(%z : tensor<8x10xf32>) -> tensor<8x10xf32>
  return %l : tensor<8x10xf32>
}

/// Squared error against the one-hot labels (enough for a data test).
func.func @train_step(%w: tensor<16x10xf32>, %m: tensor<16x10xf32>, %v: tensor<16x10xf32>,
                      %x: tensor<8x16xf32> {qopt.data = "images"},
                      %y: tensor<8x10xf32> {qopt.data = "labels"},
                      %t: i64 {qopt.step})
    -> (tensor<16x10xf32>, tensor<16x10xf32>, tensor<16x10xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %l = func.call @logits(%x, %w) : (tensor<8x16xf32>, tensor<16x10xf32>) -> tensor<8x10xf32>
  %e = tensor.empty() : tensor<8x10xf32>
  %d = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%l, %y : tensor<8x10xf32>, tensor<8x10xf32>) outs(%e : tensor<8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8x10xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%d : tensor<8x10xf32>) outs(%s1 : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %sq : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %loss = tensor.extract %s[] : tensor<f32>
  // dW = x^T d
  %xt0 = tensor.empty() : tensor<16x8xf32>
  %xt = linalg.transpose ins(%x : tensor<8x16xf32>) outs(%xt0 : tensor<16x8xf32>) permutation = [1, 0]
  %g0 = tensor.empty() : tensor<16x10xf32>
  %g1 = linalg.fill ins(%zero : f32) outs(%g0 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %g = linalg.matmul ins(%xt, %d : tensor<16x8xf32>, tensor<8x10xf32>) outs(%g1 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-2 : f32} : tensor<16x10xf32>
  return %w1, %m1, %v1, %loss : tensor<16x10xf32>, tensor<16x10xf32>, tensor<16x10xf32>, f32
}

/// Number of examples whose largest logit is at the label's class.
func.func @evaluate(%w: tensor<16x10xf32>, %x: tensor<8x16xf32> {qopt.data = "images"},
                    %y: tensor<8x10xf32> {qopt.data = "labels"}) -> f32 {
  %l = func.call @logits(%x, %w) : (tensor<8x16xf32>, tensor<16x10xf32>) -> tensor<8x10xf32>
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  // Per row: the label value at the argmax (1 if correct).
  %e0 = tensor.empty() : tensor<8xf32>
  %best0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<8xf32>) -> tensor<8xf32>
  %hit0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8xf32>) -> tensor<8xf32>
  %r:2 = linalg.generic {indexing_maps = [#id, #id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%l, %y : tensor<8x10xf32>, tensor<8x10xf32>) outs(%best0, %hit0 : tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %best: f32, %hit: f32):
    %gt = arith.cmpf ogt, %a, %best : f32
    %nb = arith.select %gt, %a, %best : f32
    %nh = arith.select %gt, %b, %hit : f32
    linalg.yield %nb, %nh : f32, f32
  } -> (tensor<8xf32>, tensor<8xf32>)
  %s0 = tensor.empty() : tensor<f32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%r#1 : tensor<8xf32>) outs(%s1 : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %x2 = arith.addf %acc, %a : f32
    linalg.yield %x2 : f32
  } -> tensor<f32>
  %correct = tensor.extract %s[] : tensor<f32>
  return %correct : f32
}
