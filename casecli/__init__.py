"""casecli: a visibility engine and success coach for casework, in the terminal."""

__version__ = "0.1.0"
