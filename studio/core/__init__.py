"""Qt-free, network-free domain model of the studio."""
