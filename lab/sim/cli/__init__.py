"""The simulated devices' command-line interfaces: an EOS-like shell (also behind eAPI) and an
IOS/FRR-like (vtysh) shell, plus the terminal line discipline they share over SSH."""
