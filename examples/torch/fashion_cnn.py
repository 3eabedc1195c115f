# A small CNN on Fashion-MNIST, in PyTorch: two 3x3 convolutions (8 and 16
# channels, padding 1) each followed by ReLU and 2x2 max pooling, then a
# linear layer to the 10 classes; softmax cross-entropy, batches of 50.
#
#   build/bin/qopt-import-torch examples/torch/fashion_cnn.py --optimizer adam -o cnn.mlir
#   build/bin/qopt-run cnn.mlir --iterations=500 --man-bits=7
#   build/bin/qopt-import-torch examples/torch/fashion_cnn.py --optimizer muon --check
import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(50, 1, 28, 28), torch.randint(0, 10, (50,))
