"""peerlearn domain core: entities, rules, ports and use cases. No framework imports."""
