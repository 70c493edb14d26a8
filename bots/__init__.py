"""Assembly: the LangGraph agent, provider factories and the voice pipeline."""
