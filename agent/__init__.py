"""The running process: configuration, CLI, scheduler, jobs."""
