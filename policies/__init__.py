"""Pure decision logic: policy models, parsing from TOML text, and `evaluate()`.

Nothing in this package does I/O, reads a clock or draws a random number, so workflows call it
directly and unit tests need neither Temporal nor a database. Reading a policy file is the job
of the `load_policy` activity, which pins the parsed policy and its hash in workflow history.
"""
