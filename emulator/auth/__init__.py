"""Access control: the chain's ``authorize`` step (``step.py``) and what it checks, one module per kind."""
