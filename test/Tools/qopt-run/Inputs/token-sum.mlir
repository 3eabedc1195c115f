// The runner's token feed: the loss is the sum of a batch of 2 windows of
// 3 bytes (qopt.data = "tokens"), so a text of known bytes gives a known
// loss. One weight, updated by Adam with a zero gradient.
#id = affine_map<(d0, d1) -> (d0, d1)>
#all = affine_map<(d0, d1) -> ()>

func.func @train_step(%w: tensor<1xf32>, %m: tensor<1xf32>, %v: tensor<1xf32>,
                      %tokens: tensor<2x3xf32> {qopt.data = "tokens"},
                      %t: i64 {qopt.step})
    -> (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<f32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%tokens : tensor<2x3xf32>) outs(%s1 : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %loss = tensor.extract %s[] : tensor<f32>
  %g0 = tensor.empty() : tensor<1xf32>
  %g = linalg.fill ins(%zero : f32) outs(%g0 : tensor<1xf32>) -> tensor<1xf32>
  %nw, %nm, %nv = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<1xf32>
  return %nw, %nm, %nv, %loss : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, f32
}
