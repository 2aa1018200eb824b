"""wordseq generate: greedy, beam-search or sampled text from any language model."""

from __future__ import annotations

import click

from wordseq.cli.console import echo_json, log, warn
from wordseq.cli.options import device_option, model_option
from wordseq.cli.startup import import_nltk_quickly


@click.command()
@model_option("lm", "ngram")
@click.option("--prompt", default="", help="Text to continue; it goes through the model's preprocessing.")
@click.option("--greedy", is_flag=True, help="Most probable token at each step.")
@click.option("--beam", type=click.IntRange(min=1), default=None, help="Beam search with this many beams.")
@click.option("--sample", is_flag=True, help="Sample (the default), shaped by --temperature / --top-k / --top-p.")
@click.option("--temperature", type=float, default=1.0, show_default=True)
@click.option("--top-k", type=click.IntRange(min=0), default=0, show_default=True, help="Sample only among the K most probable tokens (0: off).")
@click.option("--top-p", type=float, default=1.0, show_default=True, help="Nucleus sampling: smallest set of tokens with this much probability, in (0, 1].")
@click.option("--length-penalty", type=float, default=1.0, show_default=True, help="Beam scores are logprob / length**P (0: raw log-prob; P ≥ 0).")
@click.option("--max-tokens", type=click.IntRange(1, 100_000), default=30, show_default=True, help="Stop after this many tokens if </s> has not come.")
@click.option("--num", type=click.IntRange(min=1), default=1, show_default=True, help="How many results (samples, or the n best beams).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Make sampling reproducible.")
@click.option("--allow-unk", is_flag=True, help="Let <unk> be generated (banned by default).")
@device_option
@click.option("--json", "as_json", is_flag=True, help="One JSON document with tokens and log-probabilities.")
def generate(model_name: str | None, prompt: str, greedy: bool, beam: int | None, sample: bool, device: str,
             as_json: bool, **options: object) -> None:
    """Generate text from a language model (neural or n-gram), one result per line.

    \b
    wordseq generate --prompt "the government" --num 3 --seed 1
    wordseq generate --beam 5 --num 3 --prompt "the"
    wordseq generate -m ngram/news5 --greedy
    """
    from wordseq.generation import GenerateConfig, generate as run
    from wordseq.store import load

    chosen = [name for name, on in (("--greedy", greedy), ("--beam", beam is not None), ("--sample", sample)) if on]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} are different searches; choose one")
    mode = "beam" if beam is not None else "greedy" if greedy else "sample"
    config = GenerateConfig(mode=mode, beam=beam or 5, **options)  # type: ignore[arg-type]
    if mode == "greedy" and config.num > 1:
        warn("--greedy gives one result; use --sample or --beam for more")
    if mode == "beam" and config.num > config.beam:
        warn(f"--num {config.num} is more than --beam {config.beam}: showing at most {config.beam}")
    lm = load(model_name, ("lm", "ngram"), device=device)
    import_nltk_quickly(lm.preprocess)
    result = run(lm, prompt, config)
    if result.unknown_prompt_words:
        warn(f"prompt words not in the vocabulary, read as <unk>: {', '.join(result.unknown_prompt_words)}")
    if as_json:
        echo_json({"mode": mode, "results": [g.to_dict() for g in result.generations]})
    else:
        for g in result.generations:
            click.echo(g.text)
    log(f"{mode}: {len(result.generations)} result(s), {sum(len(g.tokens) for g in result.generations)} tokens")
