# A tiny byte-level causal language model for the importer's tests: the
# token feed's windows of T + 1 bytes (qopt.data = "tokens"), 256-entry
# token and position embeddings, one block (2 heads, causal masked_fill,
# GELU MLP), the next byte's cross-entropy at every position. Context 8,
# width 16, batches of 2.
import math

import torch
import torch.nn as nn

VOCAB, CONTEXT, WIDTH, HEADS = 256, 8, 16, 2


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Embedding(CONTEXT, WIDTH)
        self.ln1 = nn.LayerNorm(WIDTH)
        self.attn = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, 4 * WIDTH), nn.GELU(),
                                 nn.Linear(4 * WIDTH, WIDTH))
        self.ln = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB, bias=False)
        self.register_buffer("mask", torch.tril(torch.ones(
            CONTEXT, CONTEXT)).view(1, 1, CONTEXT, CONTEXT))

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))
        q, k, v = self.attn(self.ln1(x)).split(WIDTH, dim=2)
        q = q.view(B, T, HEADS, WIDTH // HEADS).transpose(1, 2)
        k = k.view(B, T, HEADS, WIDTH // HEADS).transpose(1, 2)
        v = v.view(B, T, HEADS, WIDTH // HEADS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).contiguous()
        x = x + self.proj(y.view(B, T, WIDTH))
        x = x + self.mlp(self.ln2(x))
        return self.head(self.ln(x))


def make_model():
    return Net()


def loss_fn(logits, targets):
    return nn.functional.cross_entropy(logits.view(-1, logits.size(-1)),
                                       targets.view(-1))


def example_batch():
    idx = torch.randint(0, VOCAB, (2, CONTEXT + 1))
    return idx[:, :-1].contiguous(), idx[:, 1:].contiguous()
