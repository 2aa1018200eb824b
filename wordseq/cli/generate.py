"""wordseq generate: greedy, beam-search or sampled text from any language model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wordseq.cli.console import echo_json, log, warn
from wordseq.cli.startup import import_nltk_quickly
from wordseq.errors import InputError, WordseqError


def load_language_model(name: str | None, device: str = "auto") -> Any:
    """A neural LM or n-gram model by NAME or PATH (an .arpa file works too).

    A bare NAME is looked up among neural LMs first, then n-gram models.
    """
    from wordseq.store import find_model, is_path

    if name and is_path(name) and Path(name).is_file():
        from wordseq.ngram import load_ngram_lm

        return load_ngram_lm(Path(name))
    path, meta = find_model(name, ("lm", "ngram"))
    if meta["kind"] == "lm":
        from wordseq.neural import load_neural_lm

        return load_neural_lm(path, device=device)
    from wordseq.ngram import load_ngram_lm

    return load_ngram_lm(path)


@click.command()
@click.option("-m", "--model", "model_name", default=None, help="Model NAME or PATH (neural LM, n-gram model or .arpa file). Default: 'default'.")
@click.option("--prompt", default="", help="Text to continue; it goes through the model's preprocessing.")
@click.option("--greedy", "mode", flag_value="greedy", help="Most probable token at each step.")
@click.option("--beam", type=click.IntRange(min=1), default=None, help="Beam search with this many beams.")
@click.option("--sample", "mode", flag_value="sample", default=True, help="Sample (the default), shaped by --temperature / --top-k / --top-p.")
@click.option("--temperature", type=float, default=1.0, show_default=True)
@click.option("--top-k", type=click.IntRange(min=0), default=0, show_default=True, help="Sample only among the K most probable tokens (0: off).")
@click.option("--top-p", type=float, default=1.0, show_default=True, help="Nucleus sampling: smallest set of tokens with this much probability.")
@click.option("--length-penalty", type=float, default=1.0, show_default=True, help="Beam scores are logprob / length**P (0: raw log-prob).")
@click.option("--max-tokens", type=click.IntRange(min=1), default=30, show_default=True, help="Stop after this many tokens if </s> has not come.")
@click.option("--num", type=click.IntRange(min=1), default=1, show_default=True, help="How many results (samples, or the n best beams).")
@click.option("--seed", type=int, default=None, help="Make sampling reproducible.")
@click.option("--allow-unk", is_flag=True, help="Let <unk> be generated (banned by default).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True, help="For neural models.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document with tokens and log-probabilities.")
def generate(model_name: str | None, prompt: str, mode: str, beam: int | None, temperature: float, top_k: int, top_p: float,
             length_penalty: float, max_tokens: int, num: int, seed: int | None, allow_unk: bool, device: str, as_json: bool) -> None:
    """Generate text from a language model, one result per line.

    \b
    wordseq generate --prompt "the government" --num 3 --seed 1
    wordseq generate --beam 5 --num 3 --prompt "the"
    wordseq generate -m my-ngram --greedy
    """
    from wordseq import decoding
    from wordseq.text.preprocess import Preprocessor

    if beam is not None:
        mode = "beam"
    lm = load_language_model(model_name, device)
    vocab = lm.vocab
    import_nltk_quickly(lm.preprocess)
    pre = Preprocessor(lm.preprocess)
    prompt_tokens = pre.normalize_query(prompt) if prompt.strip() else []
    prompt_ids = vocab.encode(prompt_tokens)
    unknown = [t for t, i in zip(prompt_tokens, prompt_ids) if i == vocab.unk_id and t != "<unk>"]
    if prompt_tokens and len(unknown) == len(prompt_tokens):
        raise InputError(f"no word of the prompt is in the model's vocabulary (after preprocessing: {' '.join(prompt_tokens)})")
    if unknown:
        warn(f"prompt words not in the vocabulary, read as <unk>: {', '.join(unknown)}")
    ban = [] if allow_unk else [vocab.unk_id]

    if mode == "beam":
        assert beam is not None
        hyps = decoding.beam_search(lm, prompt_ids, beam=beam, max_tokens=max_tokens,
                                    length_penalty=length_penalty, num=num, ban=ban)
        if num > beam:
            warn(f"--num {num} is more than --beam {beam}: showing {len(hyps)}")
    elif mode == "greedy":
        hyps = [decoding.greedy(lm, prompt_ids, max_tokens=max_tokens, ban=ban)]
        if num > 1:
            warn("--greedy gives one result; use --sample or --beam for more")
    else:
        hyps = decoding.sample(lm, prompt_ids, num=num, max_tokens=max_tokens, temperature=temperature,
                               top_k=top_k, top_p=top_p, seed=seed, ban=ban)
    if not hyps:
        raise WordseqError("the model produced nothing (every token was banned or impossible)")

    results = []
    for h in hyps:
        body = [t for t in h.token_ids if t != vocab.eos_id]
        tokens = prompt_tokens + vocab.decode(body)
        results.append({
            "text": pre.detokenize(tokens),
            "prompt_tokens": prompt_tokens,
            "tokens": vocab.decode(h.token_ids),
            "logprobs": [round(x, 6) for x in h.logprobs],
            "logprob": round(h.logprob, 6),
            "score": round(h.score, 6),
            "finished": h.finished,
        })
    if as_json:
        echo_json({"mode": mode, "results": results})
    else:
        for r in results:
            click.echo(r["text"])
    log(f"{mode}: {len(results)} result(s), {sum(len(r['tokens']) for r in results)} tokens")
