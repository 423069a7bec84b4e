"""Small real-library servers and clients run as separate processes by the modules."""
