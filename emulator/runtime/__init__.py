"""Where Lambda handlers run: loading them, calling them like Lambda does, and capturing their output."""
