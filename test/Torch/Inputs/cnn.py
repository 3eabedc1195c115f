# A small CNN for the importer's tests: 16x16 images, a padded convolution,
# overlapping max pooling with padding, a strided convolution without bias,
# average pooling, an NHWC permute and a linear layer; cross-entropy over 4
# classes, batches of 4.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3, padding=1)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False)
        self.pool2 = nn.AvgPool2d(2)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.tanh(self.conv2(x)))
        return self.fc(x.permute(0, 2, 3, 1).reshape(x.shape[0], -1))


def make_model():
    return Net()


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(4, 1, 16, 16), torch.randint(0, 4, (4,))
