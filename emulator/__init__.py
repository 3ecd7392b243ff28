"""apig-emu: a local emulator and test harness for AWS API Gateway REST APIs."""

__version__ = "0.1.0"
