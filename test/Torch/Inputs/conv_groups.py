# A depthwise convolution (groups = channels), which the importer does not
# lower: the error names the op, the argument and this file's line.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, groups=2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


def make_model():
    return Net()


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(4, 2, 4, 4), torch.randint(0, 3, (4,))
