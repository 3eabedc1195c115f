# A model with an op the importer does not lower (cumsum): the error names
# the op and this file's line.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(torch.cumsum(x, dim=1))


def make_model():
    return Net()


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(4, 8), torch.randint(0, 3, (4,))
