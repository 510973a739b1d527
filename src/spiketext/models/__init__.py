"""Models: the tailored and the standard TextCNN, the spiking TextCNN, and CNN -> SNN conversion."""

from spiketext.models.architecture import Architecture
from spiketext.models.spiking import SpikingTextCNN
from spiketext.models.textcnn import StandardTextCNN, TailoredTextCNN

__all__ = ["Architecture", "SpikingTextCNN", "StandardTextCNN", "TailoredTextCNN"]
