"""TM Forum Open API (v4) representations shared by the web API and the agent's events."""
