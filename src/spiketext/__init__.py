"""spiketext: spiking convolutional neural networks for text classification.

Reproduces and extends Lv, Xu & Zheng, "Spiking Convolutional Neural Networks for Text Classification"
(ICLR 2023). Start with `spiketext.api`; the `spiketext` command is a thin layer over it.
"""

from spiketext.errors import SpiketextError

__version__ = "0.1.0"
__all__ = ["SpiketextError", "__version__"]
