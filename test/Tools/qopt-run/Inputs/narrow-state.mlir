// A step with narrow state, written by hand as --qopt-narrow-storage leaves
// it: besides an f32 weight trained by Adam (loss sum(w^2)), a bf16 state
// and an i8 state (e4m3 codes) that the step passes through unchanged.
#id = affine_map<(d0) -> (d0)>
#all = affine_map<(d0) -> ()>

func.func @train_step(
    %w: tensor<4xf32> {qopt.init = dense<[1.0, -2.0, 3.0, 0.5]> : tensor<4xf32>},
    %m: tensor<4xf32>, %v: tensor<4xf32>,
    %s: tensor<4xbf16> {qopt.storage = #qopt.format<bf16>,
                        qopt.init = dense<[0.5, -1.0, 1.5, 3.0]> : tensor<4xf32>},
    %c: tensor<2xi8> {qopt.storage = #qopt.format<e4m3>,
                      qopt.init = dense<[0.25, -6.0]> : tensor<2xf32>},
    %t: i64 {qopt.step})
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xbf16>,
        tensor<2xi8>, f32) {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%w : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %two, %x : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction"]}
      ins(%w : tensor<4xf32>) outs(%s1 : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %xx = arith.mulf %x, %x : f32
    %r = arith.addf %acc, %xx : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %loss = tensor.extract %sum[] : tensor<f32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-1 : f32}
      : tensor<4xf32>
  return %w1, %m1, %v1, %s, %c, %loss
      : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xbf16>,
        tensor<2xi8>, f32
}
