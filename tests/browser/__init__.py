"""Browser tests: a real Chromium, pages on one origin calling the emulated API on another."""
