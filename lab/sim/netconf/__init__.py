"""A NETCONF server (RFC 6241 operations, RFC 6242 framing) over a node's configuration model."""
