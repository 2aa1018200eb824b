"""Training past one device with PyTorch's own engine: DistributedDataParallel.

``torchrun --nproc_per_node N -m wordseq lm train ...`` starts N copies of the command,
each with RANK / WORLD_SIZE / LOCAL_RANK in its environment. ``Distributed.from_env``
joins them into one process group (NCCL between GPUs, gloo on CPUs); each rank then trains
its share of the batch columns (``--batch-size`` is the global batch) and DDP averages
the gradients, so N ranks take the same steps as one process with the whole batch.
Validation is split over the ranks and summed. Only rank 0 logs and writes the model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from wordseq.errors import InputError, OptionError


@dataclass
class Distributed:
    """Where this process stands in the job; one process: rank 0 of 1."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owns_group: bool = False  # this library started the process group (and ends it)
    _device: torch.device = torch.device("cpu")  # where collectives' tensors live (NCCL: the GPU)

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: torch.device) -> Distributed:
        """Join the job torchrun started (WORLD_SIZE > 1), or run alone."""
        if dist.is_available() and dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        if not dist.is_available():
            raise InputError("this torch build has no torch.distributed; run without torchrun")
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0))
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
        return cls(rank, world, local_rank, owns_group=True)

    def device(self, device: torch.device) -> torch.device:
        """This rank's device: its own GPU under torchrun (LOCAL_RANK)."""
        if device.type == "cuda" and self.enabled:
            device = torch.device("cuda", self.local_rank)
        self._device = device
        return device

    def columns(self, batch_size: int) -> slice:
        """The batch columns this rank trains."""
        if batch_size % self.world:
            raise OptionError("--batch-size", f"{batch_size} columns cannot be shared evenly by {self.world} "
                                              f"processes; use a multiple of {self.world}")
        share = batch_size // self.world
        return slice(self.rank * share, (self.rank + 1) * share)

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """Element-wise sum over the ranks (the tensor itself when alone)."""
        if self.enabled:
            dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return values

    def from_rank0(self, flag: bool) -> bool:
        """Rank 0's value of ``flag`` on every rank (decisions that involve them all)."""
        if not self.enabled:
            return flag
        value = torch.tensor([int(flag)], device=self._device)
        dist.broadcast(value, src=0)
        return bool(value.item())

    def gather_columns(self, t: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """The whole batch from each rank's columns of ``t`` (concatenated in rank order)."""
        if not self.enabled:
            return t
        parts = [torch.empty_like(t) for _ in range(self.world)]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts, dim=dim)

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False
