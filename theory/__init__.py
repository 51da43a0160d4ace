"""fpcheck's prediction layer: sympy derivations, lambdified to numpy (never torch)."""
