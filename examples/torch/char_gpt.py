# A nanoGPT-like byte-level language model, in PyTorch: 256 tokens (bytes),
# context 64, 2 pre-norm blocks of causal self-attention (4 heads, 128
# dimensions, nanoGPT's tril buffer and masked_fill) and a GELU MLP, tied
# nothing, no dropout; the next byte's cross-entropy at every position,
# batches of 16 windows of the runner's text (qopt.data = "tokens",
# Debian's fortunes by default).
#
#   build/bin/qopt-import-torch examples/torch/char_gpt.py --optimizer adamw -o gpt.mlir
#   build/bin/qopt-import-torch examples/torch/char_gpt.py --optimizer muon -o gpt-muon.mlir
#   build/bin/qopt-run gpt.mlir --iterations=200 --man-bits=7
import math

import torch
import torch.nn as nn

VOCAB, CONTEXT, WIDTH, HEADS, LAYERS, BATCH = 256, 64, 128, 4, 2, 16


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(WIDTH)
        self.attn = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.fc = nn.Linear(WIDTH, 4 * WIDTH)
        self.fc2 = nn.Linear(4 * WIDTH, WIDTH)
        self.register_buffer("mask", torch.tril(torch.ones(
            CONTEXT, CONTEXT)).view(1, 1, CONTEXT, CONTEXT))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.attn(self.ln1(x)).split(C, dim=2)
        q = q.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        k = k.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        v = v.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).contiguous()
        x = x + self.proj(y.view(B, T, C))
        return x + self.fc2(nn.functional.gelu(self.fc(self.ln2(x))))


class CharGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Embedding(CONTEXT, WIDTH)
        self.blocks = nn.Sequential(*[Block() for _ in range(LAYERS)])
        self.ln = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB, bias=False)

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))
        return self.head(self.ln(self.blocks(x)))


def make_model():
    return CharGPT()


def loss_fn(logits, targets):
    return nn.functional.cross_entropy(logits.view(-1, logits.size(-1)),
                                       targets.view(-1))


def example_batch():
    idx = torch.randint(0, VOCAB, (BATCH, CONTEXT + 1))
    return idx[:, :-1].contiguous(), idx[:, 1:].contiguous()
