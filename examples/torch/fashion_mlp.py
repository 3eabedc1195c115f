# The Fashion-MNIST MLP of examples/fashion-mlp-adam.mlir, in PyTorch:
# 784-128-64-32-10, ReLU hidden layers, softmax cross-entropy, batches of 50
# (PyTorch's default initialisation instead of the hand-written Glorot).
#
#   build/bin/qopt-import-torch examples/torch/fashion_mlp.py --optimizer adam -o mlp.mlir
#   build/bin/qopt-run mlp.mlir --iterations=500 --man-bits=7
#   build/bin/qopt-import-torch examples/torch/fashion_mlp.py --optimizer muon --check
import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 32),
                         nn.ReLU(), nn.Linear(32, 10))


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(50, 1, 28, 28), torch.randint(0, 10, (50,))
