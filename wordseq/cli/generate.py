"""wordseq generate: greedy, beam-search or sampled text from any language model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from wordseq.cli.console import echo_json, log, warn
from wordseq.cli.options import device_option, model_option
from wordseq.cli.startup import import_nltk_quickly
from wordseq.text.reader import ENCODING_ERRORS


@click.command()
@click.argument("files", nargs=-1, metavar="[FILES|-]...")
@model_option("lm", "ngram")
@click.option("--prompt", default="", help="Text to continue; it goes through the model's preprocessing. Or give FILES (or '-'): one prompt per line.")
@click.option("--greedy", is_flag=True, help="Most probable token at each step.")
@click.option("--beam", type=int, default=None, help="Beam search with this many beams.")
@click.option("--sample", is_flag=True, help="Sample (the default), shaped by --temperature / --top-k / --top-p.")
@click.option("--temperature", type=float, default=1.0, show_default=True)
@click.option("--top-k", type=int, default=0, show_default=True, help="Sample only among the K most probable tokens (0: off).")
@click.option("--top-p", type=float, default=1.0, show_default=True, help="Nucleus sampling: smallest set of tokens with this much probability, in (0, 1].")
@click.option("--length-penalty", type=float, default=1.0, show_default=True, help="Beam scores are logprob / length**P (0: raw log-prob; P ≥ 0).")
@click.option("--max-tokens", type=int, default=30, show_default=True, help="Stop after this many tokens if </s> has not come (at most 100,000).")
@click.option("--num", type=int, default=1, show_default=True, help="How many results (samples, or the n best beams).")
@click.option("--seed", type=int, default=None, help="Make sampling reproducible (0 to 2**63 - 1).")
@click.option("--allow-unk", is_flag=True, help="Let <unk> be generated (banned by default).")
@click.option("--no-repeat-ngram", type=int, default=0, show_default=True, help="Never repeat an N-gram of the prompt and output (0: off; at most 100).")
@click.option("--repetition-penalty", type=float, default=1.0, show_default=True, help="Tokens already seen get probability p**P (P ≥ 1; 1: off).")
@click.option("--batch-size", type=int, default=64, show_default=True, help="With FILES: prompts decoded together (n-gram greedy / beam search).")
@device_option
@click.option("--json", "as_json", is_flag=True, help="One JSON document with tokens and log-probabilities.")
@click.option("--nl", is_flag=True, help="With FILES: one JSON object per input line (with its line number).")
@click.option("--encoding-errors", type=click.Choice(ENCODING_ERRORS), default="strict", show_default=True, help="On invalid UTF-8 in FILES: stop with an error, or replace the bytes and go on.")
def generate(files: tuple[str, ...], model_name: str | None, prompt: str, greedy: bool, beam: int | None, sample: bool,
             batch_size: int, device: str, as_json: bool, nl: bool, encoding_errors: str, **options: object) -> None:
    """Generate text from a language model (neural or n-gram), one result per line.

    With FILES (or '-' for stdin) each line is a prompt and gets one output line, blank
    lines included; with --num N the N results are tab-separated.

    \b
    wordseq generate --prompt "the government" --num 3 --seed 1
    wordseq generate --beam 5 --num 3 --prompt "the"
    wordseq generate -m ngram/news5 --greedy
    wordseq generate --beam 5 --no-repeat-ngram 3 --repetition-penalty 1.2
    wordseq generate -m ngram/news5 --greedy prompts.txt | paste prompts.txt -
    """
    from wordseq.generation import GenerateConfig
    from wordseq.generation import generate as run
    from wordseq.store import load

    chosen = [name for name, on in (("--greedy", greedy), ("--beam", beam is not None), ("--sample", sample)) if on]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} are different searches; choose one")
    mode = "beam" if beam is not None else "greedy" if greedy else "sample"
    config = GenerateConfig(mode=mode, beam=5 if beam is None else beam, **options)  # type: ignore[arg-type]
    if mode == "greedy" and config.num > 1:
        warn("--greedy gives one result; use --sample or --beam for more")
    if mode == "beam" and config.num > config.beam:
        warn(f"--num {config.num} is more than --beam {config.beam}: showing at most {config.beam}")
    if files and prompt:
        raise click.UsageError("give --prompt or FILES of prompts, not both")
    if nl and not files:
        raise click.UsageError("--nl is for FILES of prompts (one JSON object per line)")
    lm = load(model_name, ("lm", "ngram"), device=device)
    import_nltk_quickly(lm.preprocess)
    if files:
        return _generate_lines(lm, files, config, batch_size, encoding_errors, "json" if as_json else "nl" if nl else None)
    result = run(lm, prompt, config)
    if result.unknown_prompt_words:
        warn(f"prompt words not in the vocabulary, read as <unk>: {', '.join(result.unknown_prompt_words)}")
    if as_json:
        echo_json({"mode": mode, "results": [g.to_dict() for g in result.generations]})
    else:
        for g in result.generations:
            click.echo(g.text)
    log(f"{mode}: {len(result.generations)} result(s), {sum(len(g.tokens) for g in result.generations)} tokens")


def _generate_lines(lm: Any, files: tuple[str, ...], config: Any, batch_size: int, encoding_errors: str,
                    mode: str | None) -> None:
    from collections import deque

    from wordseq.errors import InputError
    from wordseq.generation import generate_lines
    from wordseq.text.reader import CorpusReader

    reader = CorpusReader(files, encoding_errors)
    pending: deque[str] = deque()  # lines read but not yet answered (generate_lines reads a batch ahead)

    def prompts() -> Iterator[str]:
        for line in reader:
            pending.append(line)
            yield line

    docs: list[dict[str, Any]] = []
    unknown: dict[str, None] = {}
    lines = 0
    for lines, result in enumerate(generate_lines(lm, prompts(), config, batch_size), 1):
        unknown.update(dict.fromkeys(result.unknown_prompt_words))
        doc = {"line": lines, "prompt": pending.popleft(), "results": [g.to_dict() for g in result.generations]}
        if mode == "json":
            docs.append(doc)
        elif mode == "nl":
            echo_json(doc, indent=None)
        else:
            click.echo("\t".join(g.text for g in result.generations))
    if not lines:
        raise InputError(f"{reader.label}: input is empty")
    if mode == "json":
        echo_json({"mode": config.mode, "prompts": docs})
    if unknown:
        words = list(unknown)
        warn(f"prompt words not in the vocabulary, read as <unk>: {', '.join(words[:10])}"
             + (f" and {len(words) - 10:,} more" if len(words) > 10 else ""))
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
    log(f"{config.mode}: {lines:,} prompt(s)")
