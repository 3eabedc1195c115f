# An embedding of 100 rows fed token data (bytes, up to 255): an error,
# since an id past the table would silently select no row.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(100, 4)
        self.fc = nn.Linear(4, 3)

    def forward(self, idx):
        return self.fc(self.tok(idx).mean(dim=1))


def make_model():
    return Net()


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.randint(0, 100, (2, 5)), torch.randint(0, 3, (2,))
