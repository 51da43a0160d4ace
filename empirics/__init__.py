"""fpcheck's measurement layer: real networks trained with torch, and the quantities measured on them."""
