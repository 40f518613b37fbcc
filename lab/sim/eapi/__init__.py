"""Arista eAPI (JSON-RPC ``runCmds`` over HTTP) for EOS-like simulated nodes."""
