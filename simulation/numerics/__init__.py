"""Numerical building blocks: keyed random numbers, quadrature rules and the thread pool."""
