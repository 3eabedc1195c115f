# The Fashion-MNIST MLP of examples/fashion-mlp-adam.mlir (and -muon), in
# PyTorch: 784-128-64-32-10, ReLU hidden layers, softmax cross-entropy,
# batches of 50. It matches the hand-written model by design, parameter for
# parameter:
#
# * each weight is stored as the hand-written one, (in, out), and applied as
#   x @ W + b (nn.Linear stores (out, in)). The layout matters to Muon:
#   qopt.muon_update scales its step by sqrt(max(1, rows / cols)), which is
#   sqrt(784 / 128) for the hand-written W1 and would be 1 for nn.Linear's;
# * weights Glorot-uniform (+-sqrt(6 / (fan_in + fan_out)), the runner's
#   qopt.init = "glorot"), biases zero.
#
# examples/torch/crosscheck_fashion_mlp.py trains this model and the
# hand-written one from the same weights on the same batches (docs/PyTorch.md).
#
#   build/bin/qopt-import-torch examples/torch/fashion_mlp.py --optimizer adam -o mlp.mlir
#   build/bin/qopt-run mlp.mlir --iterations=500 --man-bits=7
#   build/bin/qopt-import-torch examples/torch/fashion_mlp.py --optimizer muon \
#       --muon-lr 0.005 --lr 0.002 --check
import torch
import torch.nn as nn


class Dense(nn.Module):
    """x @ W + b with W of shape (in, out), Glorot-uniform, and b zero."""

    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(fan_in, fan_out))
        self.bias = nn.Parameter(torch.zeros(fan_out))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x):
        return x @ self.weight + self.bias


def make_model():
    return nn.Sequential(nn.Flatten(), Dense(784, 128), nn.ReLU(),
                         Dense(128, 64), nn.ReLU(), Dense(64, 32), nn.ReLU(),
                         Dense(32, 10))


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(50, 1, 28, 28), torch.randint(0, 10, (50,))
