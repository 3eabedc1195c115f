# Window options of the importer's convolution and pooling: a dilated
# convolution, max pooling without padding, average pooling with stride and
# padding (count_include_pad), flatten; cross-entropy over 3 classes.
import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=2, dilation=2), nn.ReLU(),
        nn.MaxPool2d(2), nn.AvgPool2d(3, stride=2, padding=1),
        nn.Conv2d(3, 2, (2, 1), stride=(1, 2)), nn.Flatten(),
        nn.Linear(8, 3))


def loss_fn(output, target):
    return nn.functional.cross_entropy(output, target)


def example_batch():
    return torch.rand(3, 2, 12, 12), torch.randint(0, 3, (3,))
