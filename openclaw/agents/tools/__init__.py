"""
The agent's tools: one module per tool family, the registry that holds them and
the policy chain that decides which of them an agent may use on a surface.
"""
