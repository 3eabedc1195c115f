# A mask computed from the model's values (not a constant like the causal
# mask): the comparison's bool result is an error naming the op and line.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(x.masked_fill(x > 0.5, 0.0))


def make_model():
    return Net()


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(4, 6), torch.randint(0, 3, (4,))
