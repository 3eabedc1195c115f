// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file -verify-diagnostics

/// The Muon lowering decides at compile time whether to orthogonalise the
/// transpose, so it needs static sizes; a dynamic shape is rejected with a
/// diagnostic (and the conversion fails) instead of crashing.
func.func @muon_dynamic(%w: tensor<?x?xf32>, %g: tensor<?x?xf32>,
                        %b: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  // expected-error @+2 {{'qopt.muon_update' op lowering to linalg needs a static 2-D shape, got 'tensor<?x?xf32>'}}
  // expected-error @+1 {{failed to legalize operation 'qopt.muon_update' that was explicitly marked illegal}}
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<?x?xf32>
  return %w1, %b1 : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

func.func @muon_partly_dynamic(%w: tensor<8x?xf32>, %g: tensor<8x?xf32>,
                               %b: tensor<8x?xf32>)
    -> (tensor<8x?xf32>, tensor<8x?xf32>) {
  // expected-error @+2 {{'qopt.muon_update' op lowering to linalg needs a static 2-D shape, got 'tensor<8x?xf32>'}}
  // expected-error @+1 {{failed to legalize operation 'qopt.muon_update' that was explicitly marked illegal}}
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<8x?xf32>
  return %w1, %b1 : tensor<8x?xf32>, tensor<8x?xf32>
}
