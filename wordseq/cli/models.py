"""wordseq models list / show / rm."""

from __future__ import annotations

import json
import sys

import click

from wordseq.cli.console import echo_json, log
from wordseq.cli.options import json_option
from wordseq.sizes import human_size


@click.group()
def models() -> None:
    """List, inspect and remove saved models (in $WORDSEQ_HOME)."""


@models.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also unfinished runs' checkpoints and leftovers of killed runs.")
@json_option
def list_(show_all: bool, as_json: bool) -> None:
    """One line per saved model: kind, name, size, state, created, summary.

    The state is complete, interrupted (a run stopped before its end), or damaged.

    \b
    wordseq models list --all
    """
    from wordseq.store import list_models, wordseq_home

    found = list_models(wordseq_home(), show_all)
    if as_json:
        echo_json([{"kind": m.kind, "name": m.name, "path": str(m.path), "bytes": m.size_bytes, "state": m.state,
                    "created": m.created, "summary": m.summary} for m in found])
        return
    for m in found:
        click.echo(f"{m.kind}\t{m.name}\t{human_size(m.size_bytes)}\t{m.state}\t{m.created}\t{m.summary}".rstrip())
    if not found:
        log(f"no models in {wordseq_home()}")


@models.command("show")
@click.argument("name", metavar="NAME|kind/NAME|PATH")
@click.option("--card", is_flag=True, help="A Markdown model card instead: training data, preprocessing, options, "
                                           "metrics, command line.")
def show(name: str, card: bool) -> None:
    """Print a model's meta.json, or with --card its model card (Markdown).

    \b
    wordseq models show lm/news
    wordseq models show lm/news --card > MODEL_CARD.md
    """
    from wordseq.store import KINDS, find_model

    path, meta = find_model(name, KINDS)
    log(f"{meta['kind']} model at {path}")
    if card:
        from wordseq.export.card import card_for

        click.echo(card_for(path, meta, name), nl=False)
        return
    click.echo(json.dumps(meta, indent=2, ensure_ascii=False))


@models.command("upgrade")
@click.argument("name", metavar="NAME|kind/NAME|PATH")
def upgrade(name: str) -> None:
    """Rewrite a model saved by an older wordseq (model.pt, resume.pt: torch pickle
    containers) as safetensors files, in one step: the old model stays until the new one
    is complete and reads back. A model already in safetensors is left as it is.

    \b
    wordseq models upgrade lm/news
    """
    from wordseq.store import KINDS, resolve
    from wordseq.store.meta import read_meta
    from wordseq.store.upgrade import upgrade_model

    _, path = resolve(name, KINDS)
    rewritten = upgrade_model(path, read_meta(path)["kind"])
    if rewritten:
        log(f"upgraded {path}: {', '.join(rewritten)} rewritten as safetensors")
    else:
        log(f"{path} has no files in the old torch format; nothing to do")


@models.command("export")
@click.argument("name", metavar="NAME|kind/NAME|PATH")
@click.option("--format", "fmt", type=click.Choice(["onnx", "hf"]), required=True,
              help="onnx: one graph file (neural LMs and classifiers; needs 'wordseq[export]'); hf: a folder with "
                   "model.safetensors, config.json, the vocabulary and a README.md model card.")
@click.option("-o", "--output", required=True, metavar="FILE|DIR", help="The .onnx file (- for stdout), or the new folder.")
def export(name: str, fmt: str, output: str) -> None:
    """Write a model in a format other tools read.

    An ONNX LM takes token ids and its recurrent state (or key/value cache) and gives
    log-probabilities and the new state, so a runtime decodes step by step; the file's
    metadata holds the vocabulary and settings. Each export is run once through
    onnxruntime and compared with torch before it is written.

    \b
    wordseq models export lm/news --format onnx -o news.onnx
    wordseq models export classifier/mr --format hf -o mr-hf/
    """
    if fmt == "onnx":
        from wordseq.export.onnx_export import export_onnx

        done = export_onnx(name, output)
        log(f"wrote {done.path}: {done.kind} graph, inputs {', '.join(done.inputs)}; onnxruntime matches torch "
            f"within {done.max_difference:.1g}")
        return
    from wordseq.export.hf import export_hf

    folder = export_hf(name, output)
    log(f"wrote {folder}: {', '.join(sorted(p.name for p in folder.iterdir()))}")


@models.command("import")
@click.argument("folder", metavar="DIR")
@click.option("-o", "--output", default=None, metavar="NAME|PATH", help="Where the model goes  [default: DIR's name]")
def import_(folder: str, output: str | None) -> None:
    """Read a folder written by 'models export --format hf' back into the store. The model
    is loaded and checked (sizes, finite weights, vocabularies) before it is saved.

    \b
    wordseq models import news-hf -o news
    """
    from wordseq.export.hf import import_hf

    log(f"saved {import_hf(folder, output)}")


@models.command("rm")
@click.argument("name", metavar="NAME|kind/NAME|PATH")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed when stdin is not a terminal).")
def rm(name: str, yes: bool) -> None:
    """Delete a saved model (damaged ones too) in one step.

    A PATH must be a model directory wordseq made.

    \b
    wordseq models rm lm/news --yes
    """
    from wordseq.errors import ModelError
    from wordseq.store import KINDS, removal_target, remove_model

    kind, path = removal_target(name, KINDS)
    if not yes:
        if not sys.stdin.isatty():
            raise ModelError(f"removing {path} needs --yes when stdin is not a terminal")
        click.confirm(f"Remove the {kind} model at {path}?", abort=True, err=True)
    for removed in remove_model(name, KINDS):
        log(f"removed {removed}")


@models.command("plot")
@click.argument("names", nargs=-1, required=True, metavar="NAME|kind/NAME|PATH...")
@click.option("-o", "--output", default="curves.png", show_default=True, metavar="FILE.png", help="Where the picture goes.")
def plot(names: tuple[str, ...], output: str) -> None:
    """Training curves of one or more models on one chart (perplexity, probe loss ...
    per epoch, from their meta.json). Needs matplotlib: pip install 'wordseq[plot]'.

    \b
    wordseq models plot lm/small lm/large -o curves.png
    """
    from wordseq.plots import plot_training_curves
    from wordseq.store import KINDS, find_model

    metas = [(name, find_model(name, KINDS)[1]) for name in names]
    drawn = plot_training_curves(metas, output)
    for name, why in drawn.left_out:
        log(f"left out {name}: {why}")
    log(f"wrote {output}: {', '.join(drawn.panels)} per epoch for {len(drawn.drawn)} model(s)")
