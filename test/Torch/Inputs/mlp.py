# A small MLP for the importer's tests: 4x4 images, ReLU, GELU and Tanh
# hidden layers, cross-entropy over 4 classes, batches of 6.
import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(),
                         nn.Linear(12, 10), nn.GELU(), nn.Linear(10, 8),
                         nn.Tanh(), nn.Linear(8, 4))


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(6, 1, 4, 4), torch.randint(0, 4, (6,))
