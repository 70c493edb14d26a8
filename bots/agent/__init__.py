"""The LangGraph agent: intent routing to a domain agent, an assistant node and a tool node."""
