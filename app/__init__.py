"""Activation Lab: see how activation functions behave and what they do to a network."""

__version__ = "0.1.0"
