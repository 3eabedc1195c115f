# A two-layer causal transformer written the other common way: the causal
# mask built in forward (torch.ones(T, T).tril(), bool) and applied with
# torch.where, attention through torch.matmul on 4-D tensors, LayerNorm
# without bias, a Tanh MLP, mean pooling over the positions and
# log_softmax + nll_loss. Vocabulary 256 (bytes), context 5, width 8, 4 heads.
import torch
import torch.nn as nn

VOCAB, CONTEXT, WIDTH, HEADS, CLASSES = 256, 5, 8, 4, 3


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(WIDTH, elementwise_affine=True)
        self.ln1.bias = None
        self.q = nn.Linear(WIDTH, WIDTH, bias=False)
        self.k = nn.Linear(WIDTH, WIDTH, bias=False)
        self.v = nn.Linear(WIDTH, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, 2 * WIDTH), nn.Tanh(),
                                 nn.Linear(2 * WIDTH, WIDTH))

    def heads(self, t):
        B, T, C = t.shape
        return t.reshape(B, T, HEADS, C // HEADS).permute(0, 2, 1, 3)

    def forward(self, x):
        B, T, C = x.shape
        h = self.ln1(x)
        q, k, v = self.heads(self.q(h)), self.heads(self.k(h)), \
            self.heads(self.v(h))
        att = torch.matmul(q, k.transpose(-1, -2)) / (C // HEADS) ** 0.5
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        att = torch.where(causal, att, torch.full_like(att, float("-inf")))
        y = torch.matmul(att.softmax(-1), v).permute(0, 2, 1, 3)
        x = x + y.reshape(B, T, C)
        return x + self.mlp(self.ln2(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Parameter(torch.randn(CONTEXT, WIDTH) * 0.1)
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(WIDTH, CLASSES)

    def forward(self, idx):
        x = self.blocks(self.tok(idx) + self.pos)
        return self.head(x.mean(dim=1))


def make_model():
    return Net()


def loss_fn(output, target):
    return nn.functional.nll_loss(torch.log_softmax(output, dim=-1), target)


def example_batch():
    return (torch.randint(0, VOCAB, (3, CONTEXT)),
            torch.randint(0, CLASSES, (3,)))
