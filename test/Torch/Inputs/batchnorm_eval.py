# BatchNorm in evaluation mode (its running statistics): refused, the
# importer traces training steps.
import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.BatchNorm1d(8),
                         nn.ReLU(), nn.Linear(8, 4)).eval()


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(6, 1, 4, 4), torch.randint(0, 4, (6,))
