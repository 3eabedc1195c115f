# BatchNorm for the importer's tests (training mode): BatchNorm2d after a
# convolution, BatchNorm1d after a linear layer; 8x8 images, 5 classes,
# batches of 6.
import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 12), nn.BatchNorm1d(12),
                         nn.Tanh(), nn.Linear(12, 5))


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(6, 1, 8, 8), torch.randint(0, 5, (6,))
