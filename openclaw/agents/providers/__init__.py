"""
Model providers: one module per wire API (C{openai_completions}, C{openai_responses},
C{anthropic_messages}, C{ollama}) over the one owned HTTP client in C{http}, with
failover across a model plan in C{failover}. C{registry} picks the module for a
provider's C{api}; C{service.ModelService} puts them together for the runtime.
"""
