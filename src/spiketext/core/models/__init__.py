"""Models: the tailored and the standard TextCNN, the spiking TextCNN, and CNN -> SNN conversion."""

from spiketext.core.models.architecture import Architecture
from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.core.models.textcnn import StandardTextCNN, TailoredTextCNN

__all__ = ["Architecture", "SpikingTextCNN", "StandardTextCNN", "TailoredTextCNN"]
