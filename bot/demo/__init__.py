"""`persona-bot demo`: the world, the scenes and the data (`run.run_demo` plays them all)."""
