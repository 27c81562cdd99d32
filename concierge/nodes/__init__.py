"""One module per graph node: a small async function `(state, runtime) -> update` over `tools/`."""
