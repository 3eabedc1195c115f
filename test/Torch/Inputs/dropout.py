# Dropout in a training step: refused (PyTorch draws a new mask each step).
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 8)
        self.fc2 = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc2(nn.functional.dropout(self.fc1(x.flatten(1)), 0.2))


def make_model():
    return Net()


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(6, 1, 4, 4), torch.randint(0, 4, (6,))
